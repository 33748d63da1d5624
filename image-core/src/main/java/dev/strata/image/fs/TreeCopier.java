package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies a directory tree exactly: content, type, owner, mode (setuid, setgid and sticky included), times to the
 * nanosecond, extended attributes (including {@code security.capability}), hard links (grouped by the source's
 * (dev, inode)), symlinks, devices and FIFOs. Sockets are skipped: layers cannot carry them.
 *
 * <p>Both trees are untrusted (layer content), so both are read and written only through {@link RootedFs}: a
 * symlink in either is never followed out of its root, and a FIFO is never opened.
 *
 * <p>File content is shared with {@code ioctl(FICLONE)} when the file system can reflink (btrfs, xfs), copied in
 * the kernel with {@code copy_file_range} otherwise, and read and written as the last resort. Order per entry:
 * chown before xattrs and chmod, because chown clears setuid/setgid and {@code security.capability}; directory
 * modes and times last, deepest first, so filling a directory does not undo its mtime and a 0555 directory still
 * receives its children.
 *
 * <p>Not thread-safe: one instance remembers which copy method the file system accepts.
 */
public final class TreeCopier {
    /** How file content was copied. */
    public enum Method { REFLINK, COPY_FILE_RANGE, READ_WRITE }

    private static final int FALLBACK_BUFFER = 256 * 1024;
    private static final long CFR_CHUNK = 1L << 30;

    private boolean tryReflink = true;
    private boolean tryCopyFileRange = true;
    private Method lastMethod;

    /** The method used for the last non-empty regular file, or null if none was copied yet. */
    public Method lastMethod() {
        return lastMethod;
    }

    /**
     * Copies everything below {@code source} into {@code target}, an existing, empty directory, and gives the target
     * root the source root's owner, mode, xattrs and times.
     */
    public void copy(Path source, Path target) throws IOException {
        try (RootedFs src = RootedFs.open(source); RootedFs dst = RootedFs.open(target)) {
            copy(src, dst);
        }
    }

    /** As {@link #copy(Path, Path)}, on open roots. */
    public void copy(RootedFs src, RootedFs dst) throws IOException {
        new Run(src, dst).copyAll();
    }

    private final class Run {
        final RootedFs src;
        final RootedFs dst;
        final boolean root = Native.libc().geteuid() == 0;
        /** (dev, inode) of multiply linked sources → the target path of their first copy. */
        final Map<String, String> linked = new HashMap<>();
        /** Directories in pre-order with their source metadata; finished in reverse. */
        final List<String> dirs = new ArrayList<>();
        final List<FileStat> dirStats = new ArrayList<>();
        byte[] buffer;

        Run(RootedFs src, RootedFs dst) {
            this.src = src;
            this.dst = dst;
        }

        void copyAll() throws IOException {
            FileStat top = src.lstat("");
            if (!top.isDirectory()) {
                throw new IOException("tree copy source is not a directory: " + src.root());
            }
            dirs.add("");
            dirStats.add(top);
            ownAndXattrs("", top);
            copyChildren("");
            for (int i = dirs.size() - 1; i >= 0; i--) {
                String d = dirs.get(i);
                FileStat st = dirStats.get(i);
                dst.chmod(d, st.mode());
                dst.setTimes(d, st.atime(), st.mtime());
            }
        }

        private void copyChildren(String dir) throws IOException {
            String prefix = dir.isEmpty() ? "" : dir + "/";
            for (String name : src.list(dir)) {
                String path = prefix + name;
                FileStat st = src.lstat(path);
                if (st.type() == FileType.SOCKET) {
                    continue;
                }
                if (st.type() != FileType.DIRECTORY && st.nlink() > 1) {
                    String key = st.dev() + ":" + st.ino();
                    String first = linked.putIfAbsent(key, path);
                    if (first != null) {
                        dst.hardlink(path, first);
                        continue;
                    }
                }
                switch (st.type()) {
                    case DIRECTORY -> {
                        dst.mkdir(path, 0700);
                        dirs.add(path);
                        dirStats.add(st);
                        ownAndXattrs(path, st);
                        copyChildren(path);
                    }
                    case REGULAR -> {
                        try (InputStream in = src.openRead(path); OutputStream out = dst.createFile(path, 0600)) {
                            copyContent((FdInputStream) in, (FdOutputStream) out, st.size(), path);
                        }
                        finish(path, st);
                    }
                    case SYMLINK -> {
                        dst.symlink(path, src.readlink(path));
                        ownAndXattrs(path, st);
                        dst.setTimes(path, st.atime(), st.mtime());
                    }
                    case CHAR_DEVICE, BLOCK_DEVICE, FIFO -> {
                        dst.mknod(path, st.type(), 0600, st.rdevMajor(), st.rdevMinor());
                        finish(path, st);
                    }
                    default -> throw new IllegalStateException("unexpected " + st.type() + ": " + path);
                }
            }
        }

        private void finish(String path, FileStat st) throws IOException {
            ownAndXattrs(path, st);
            dst.chmod(path, st.mode());
            dst.setTimes(path, st.atime(), st.mtime());
        }

        private void ownAndXattrs(String path, FileStat st) throws IOException {
            if (root) {
                dst.chown(path, st.uid(), st.gid());
            } else {
                FileStat now = dst.lstat(path);
                if (now.uid() != st.uid() || now.gid() != st.gid()) {
                    dst.chown(path, st.uid(), st.gid()); // fails without CAP_CHOWN, as it should
                }
            }
            for (String key : src.listXattrs(path)) {
                var value = src.getXattr(path, key);
                if (value.isPresent()) {
                    dst.setXattr(path, key, value.get());
                }
            }
        }

        private void copyContent(FdInputStream in, FdOutputStream out, long size, String path) throws IOException {
            if (size == 0) {
                return;
            }
            LinuxLibc libc = Native.libc();
            if (tryReflink) {
                if (libc.ioctl(out.fd(), Native.FICLONE, in.fd()) == 0) {
                    lastMethod = Method.REFLINK;
                    return;
                }
                int errno = Native.errno();
                if (!unsupported(errno)) {
                    throw Errno.exception(errno, "copy (FICLONE)", path);
                }
                tryReflink = false;
            }
            long copied = 0;
            if (tryCopyFileRange) {
                while (true) {
                    long n = libc.copy_file_range(in.fd(), null, out.fd(), null, CFR_CHUNK, 0);
                    if (n > 0) {
                        copied += n;
                        continue;
                    }
                    if (n == 0) {
                        lastMethod = Method.COPY_FILE_RANGE;
                        return; // EOF: the file may have changed size since lstat; we copied what is there
                    }
                    int errno = Native.errno();
                    if (errno == Errno.EINTR) {
                        continue;
                    }
                    if (copied == 0 && unsupported(errno)) {
                        tryCopyFileRange = false;
                        break;
                    }
                    throw Errno.exception(errno, "copy (copy_file_range)", path);
                }
            }
            if (buffer == null) {
                buffer = new byte[FALLBACK_BUFFER];
            }
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
            lastMethod = Method.READ_WRITE;
        }

        private boolean unsupported(int errno) {
            return errno == Errno.EOPNOTSUPP || errno == Errno.EXDEV || errno == Errno.EINVAL
                    || errno == Errno.ENOSYS || errno == 25 /* ENOTTY */ || errno == Errno.EPERM;
        }
    }
}
