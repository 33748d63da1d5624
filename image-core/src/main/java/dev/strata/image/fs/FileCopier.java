package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Copies between two open fds, cheapest way first: reflink, in-kernel copy, then a read/write loop. */
final class FileCopier {
    private static final long CHUNK = 1L << 30;

    private FileCopier() {}

    /** Copies all of {@code in} (at offset 0) to the empty {@code out}; returns the bytes copied. */
    static long copy(int in, int out, String display) throws IOException {
        LinuxLibc libc = Native.libc();
        if (libc.ioctl(out, Native.FICLONE, in) == 0) {
            return Statx.lstat(out, Native.EMPTY, "copy", display).size();
        }
        long total = 0;
        while (true) {
            long n = libc.copy_file_range(in, null, out, null, CHUNK, 0);
            if (n > 0) {
                total += n;
                continue;
            }
            if (n == 0) {
                return total;
            }
            int errno = Native.errno();
            if (errno == Errno.EINTR) {
                continue;
            }
            // Cross-device before 5.19, special file systems, seccomp: fall back to copying through user space.
            if (errno == Errno.EXDEV || errno == Errno.EINVAL || errno == Errno.ENOSYS
                    || errno == Errno.EOPNOTSUPP || errno == Errno.EPERM) {
                return total + readWrite(in, out, display);
            }
            throw Errno.exception(errno, "copy_file_range", display);
        }
    }

    static long readWrite(int in, int out, String display) throws IOException {
        LinuxLibc libc = Native.libc();
        ByteBuffer buf = ByteBuffer.allocateDirect(FdOutputStream.BUFFER_SIZE);
        long total = 0;
        while (true) {
            buf.clear();
            long n = libc.read(in, buf, buf.capacity());
            if (n < 0) {
                if (Native.errno() == Errno.EINTR) {
                    continue;
                }
                throw Errno.exception(Native.errno(), "read", display);
            }
            if (n == 0) {
                return total;
            }
            buf.limit((int) n);
            while (buf.hasRemaining()) {
                long w = libc.write(out, buf, buf.remaining());
                if (w < 0) {
                    if (Native.errno() == Errno.EINTR) {
                        continue;
                    }
                    throw Errno.exception(Native.errno(), "write", display);
                }
                buf.position(buf.position() + (int) w);
            }
            total += n;
        }
    }
}
