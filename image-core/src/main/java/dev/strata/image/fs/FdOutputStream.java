package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A file {@link RootedFs#createFile} created, open for writing: {@code write(2)} through a pooled direct buffer, so
 * that the kernel reads straight from it (no per-call copy by jnr), plus metadata calls on the same fd. Setting
 * owner, mode, xattrs and times through the fd instead of by path saves a path resolution each and cannot be
 * redirected: the fd is the inode we created ({@code O_EXCL|O_NOFOLLOW}). The stream owns the fd and closes it.
 * Not thread-safe.
 */
public final class FdOutputStream extends OutputStream implements WritableByteChannel {
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

    /** fchown; call before {@link #chmod} since chown clears setuid/setgid and file capabilities. */
    public void chown(int uid, int gid) throws IOException {
        flush();
        if (Native.libc().fchown(fd, uid, gid) != 0) {
            throw Errno.exception(Native.errno(), "chown", display);
        }
    }

    /** fchmod with all twelve mode bits (not filtered by the umask). */
    public void chmod(int mode) throws IOException {
        flush();
        if (Native.libc().fchmod(fd, mode & 07777) != 0) {
            throw Errno.exception(Native.errno(), "chmod", display);
        }
    }

    public void setXattr(String key, byte[] value) throws IOException {
        flush();
        if (Native.libc().fsetxattr(fd, Native.cstr(key), value, value.length, 0) != 0) {
            throw Errno.exception(Native.errno(), "setXattr " + key, display);
        }
    }

    /** futimens with nanoseconds; call last, after all data was written. {@code null} leaves a time unchanged. */
    public void setTimes(java.time.Instant atime, java.time.Instant mtime) throws IOException {
        flush();
        ByteBuffer ts = TIMES.get();
        RootedFs.putTimespec(ts, 0, atime);
        RootedFs.putTimespec(ts, 16, mtime);
        if (Native.libc().futimens(fd, ts) != 0) {
            throw Errno.exception(Native.errno(), "setTimes", display);
        }
    }

    private static final ThreadLocal<ByteBuffer> TIMES = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(32).order(java.nio.ByteOrder.nativeOrder()));

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
