package dev.strata.image.fs;

import static dev.strata.image.fs.WalkFrame.display;

import dev.strata.image.fs.Native.LinuxLibc;
import dev.strata.image.fs.TreeCopier.Method;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Copies the content of a regular file between open fds for a {@link TreeCopier}, cheapest way first:
 * {@code ioctl(FICLONE)} where the file system can reflink, {@code copy_file_range} otherwise, a read/write loop as
 * the last resort; a file with holes is copied extent by extent so the holes stay. A method the file system refuses
 * is remembered in the shared {@link CopyMethodMemory} and not tried again.
 *
 * <p>Not {@link FileCopier}, whose rules differ: it tries every method again for each file, falls back to
 * read/write even after a partial in-kernel copy, and does not look for holes. One instance per thread (it owns its
 * buffer).
 */
final class FdContentCopier {
    private static final int FALLBACK_BUFFER = 256 * 1024;

    private final LinuxLibc libc = Native.libc();
    private final CopyMethodMemory methods;
    private ByteBuffer buffer;

    FdContentCopier(CopyMethodMemory methods) {
        this.methods = methods;
    }

    /** All {@code m.size} bytes of {@code in} into the new, empty {@code out}, which is {@code name} in {@code dir}. */
    void copy(int in, int out, EntryMeta m, WalkFrame dir, byte[] name) throws IOException {
        if (m.size == 0) {
            return;
        }
        if (methods.tryReflink) {
            if (libc.ioctl(out, Native.FICLONE, in) == 0) {
                methods.lastMethod = Method.REFLINK;
                return;
            }
            int errno = Native.errno();
            if (!unsupported(errno)) {
                throw Errno.exception(errno, "tree copy (FICLONE)", display(dir, name));
            }
            methods.tryReflink = false;
        }
        if (m.blocks * 512 < m.size && copySparse(in, out, m.size, dir, name)) {
            return;
        }
        copyRange(in, out, m.size, dir, name);
    }

    /**
     * Copies only the data extents, leaving holes, then sets the size. False (nothing done) when the file
     * system cannot tell data from holes.
     */
    private boolean copySparse(int in, int out, long size, WalkFrame dir, byte[] name) throws IOException {
        long pos = 0;
        while (pos < size) {
            long data = libc.lseek(in, pos, Native.SEEK_DATA);
            if (data < 0) {
                int errno = Native.errno();
                if (errno == Errno.ENXIO) {
                    break; // only a hole remains
                }
                if (pos == 0 && (errno == Errno.EINVAL || errno == Errno.EOPNOTSUPP)) {
                    return false;
                }
                throw Errno.exception(errno, "tree copy (SEEK_DATA)", display(dir, name));
            }
            long hole = libc.lseek(in, data, Native.SEEK_HOLE);
            if (hole < 0) {
                throw Errno.exception(Native.errno(), "tree copy (SEEK_HOLE)", display(dir, name));
            }
            hole = Math.min(hole, size);
            if (libc.lseek(in, data, Native.SEEK_SET) < 0 || libc.lseek(out, data, Native.SEEK_SET) < 0) {
                throw Errno.exception(Native.errno(), "tree copy (seek)", display(dir, name));
            }
            if (hole > data) {
                copyRange(in, out, hole - data, dir, name);
            }
            pos = hole;
        }
        if (libc.ftruncate(out, size) != 0) {
            throw Errno.exception(Native.errno(), "tree copy (truncate)", display(dir, name));
        }
        return true;
    }

    /** Copies {@code len} bytes from the current offset of {@code in} to that of {@code out} (less at EOF). */
    private void copyRange(int in, int out, long len, WalkFrame dir, byte[] name) throws IOException {
        long copied = 0;
        if (methods.tryCopyFileRange) {
            while (copied < len) {
                long n = libc.copy_file_range(in, null, out, null, len - copied, 0);
                if (n > 0) {
                    copied += n;
                    continue;
                }
                if (n == 0) {
                    break; // EOF: the source is shorter than it was; we copied what is there
                }
                int errno = Native.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (copied == 0 && unsupported(errno)) {
                    methods.tryCopyFileRange = false;
                    break;
                }
                throw Errno.exception(errno, "tree copy (copy_file_range)", display(dir, name));
            }
            if (methods.tryCopyFileRange) {
                methods.lastMethod = Method.COPY_FILE_RANGE;
                return;
            }
        }
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(FALLBACK_BUFFER).order(ByteOrder.nativeOrder());
        }
        while (copied < len) {
            buffer.clear();
            long n = libc.read(in, buffer, Math.min(buffer.capacity(), len - copied));
            if (n == 0) {
                break;
            }
            if (n < 0) {
                if (Native.errno() == Errno.EINTR) {
                    continue;
                }
                throw Errno.exception(Native.errno(), "tree copy (read)", display(dir, name));
            }
            int off = 0;
            while (off < n) {
                buffer.position(off);
                long w = libc.write(out, buffer, n - off);
                if (w < 0) {
                    if (Native.errno() == Errno.EINTR) {
                        continue;
                    }
                    throw Errno.exception(Native.errno(), "tree copy (write)", display(dir, name));
                }
                off += (int) w;
            }
            copied += n;
        }
        methods.lastMethod = Method.READ_WRITE;
    }

    private static boolean unsupported(int errno) {
        return errno == Errno.EOPNOTSUPP || errno == Errno.EXDEV || errno == Errno.EINVAL
                || errno == Errno.ENOSYS || errno == Errno.ENOTTY || errno == Errno.EPERM
                || errno == Errno.EBADF;
    }
}
