package dev.strata.image.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/** Reads a file descriptor we opened ourselves with {@code read(2)}; owns and closes the fd. Not thread-safe. */
final class FdInputStream extends InputStream {
    private final int fd;
    private final String display;
    private ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    private boolean eof;

    FdInputStream(int fd, String display) {
        this.fd = fd;
        this.display = display;
        buf.limit(0);
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return buf.get() & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, buf.remaining());
        buf.get(b, off, n);
        return n;
    }

    /** The descriptor, for calls that copy in the kernel; only valid before anything was read through the stream. */
    int fd() {
        return fd;
    }

    private boolean fill() throws IOException {
        if (buf == null) {
            throw new IOException("stream closed: " + display);
        }
        if (buf.hasRemaining()) {
            return true;
        }
        if (eof) {
            return false;
        }
        buf.clear();
        long n;
        do {
            n = Native.libc().read(fd, buf, buf.capacity());
        } while (n < 0 && Native.errno() == Errno.EINTR);
        if (n < 0) {
            buf.limit(0);
            throw Errno.exception(Native.errno(), "read", display);
        }
        buf.limit((int) n);
        eof = n == 0;
        return n > 0;
    }

    @Override
    public void close() {
        if (buf != null) {
            buf = null;
            Native.closeQuietly(fd);
        }
    }
}
