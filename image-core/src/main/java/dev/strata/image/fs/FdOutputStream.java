package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Writes to a file descriptor we opened ourselves with {@code write(2)} through a pooled direct buffer, so that the
 * kernel reads straight from it (no per-call copy by jnr). The stream owns the fd and closes it.
 * Not thread-safe.
 */
final class FdOutputStream extends OutputStream implements WritableByteChannel {
    static final int BUFFER_SIZE = 128 * 1024;
    private static final ConcurrentLinkedQueue<ByteBuffer> POOL = new ConcurrentLinkedQueue<>();

    private final int fd;
    private final String display;
    private ByteBuffer buf;

    FdOutputStream(int fd, String display) {
        this.fd = fd;
        this.display = display;
        ByteBuffer b = POOL.poll();
        this.buf = b != null ? b : ByteBuffer.allocateDirect(BUFFER_SIZE);
    }

    @Override
    public void write(int b) throws IOException {
        ensureOpen();
        if (!buf.hasRemaining()) {
            drain();
        }
        buf.put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        while (len > 0) {
            if (!buf.hasRemaining()) {
                drain();
            }
            int n = Math.min(len, buf.remaining());
            buf.put(b, off, n);
            off += n;
            len -= n;
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        ensureOpen();
        int total = src.remaining();
        while (src.hasRemaining()) {
            if (!buf.hasRemaining()) {
                drain();
            }
            int n = Math.min(src.remaining(), buf.remaining());
            ByteBuffer slice = src.slice();
            slice.limit(n);
            buf.put(slice);
            src.position(src.position() + n);
        }
        return total;
    }

    /** The descriptor, for calls that copy in the kernel; only valid while nothing is buffered. */
    int fd() {
        return fd;
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
        drain();
    }

    @Override
    public boolean isOpen() {
        return buf != null;
    }

    @Override
    public void close() throws IOException {
        if (buf == null) {
            return;
        }
        try {
            drain();
        } finally {
            ByteBuffer b = buf;
            buf = null;
            b.clear();
            POOL.offer(b);
            if (Native.libc().close(fd) != 0) {
                int errno = Native.errno();
                if (errno != Errno.EINTR) {
                    throw Errno.exception(errno, "close", display);
                }
            }
        }
    }

    private void drain() throws IOException {
        buf.flip();
        LinuxLibc libc = Native.libc();
        while (buf.hasRemaining()) {
            // jnr passes the address of a direct buffer's position; the kernel reads from there.
            long n = libc.write(fd, buf, buf.remaining());
            if (n < 0) {
                int errno = Native.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                buf.clear();
                throw Errno.exception(errno, "write", display);
            }
            buf.position(buf.position() + (int) n);
        }
        buf.clear();
    }

    private void ensureOpen() throws IOException {
        if (buf == null) {
            throw new ClosedChannelException();
        }
    }
}
