package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Copies a directory tree exactly: content, type, owner, mode (setuid, setgid and sticky included), times to the
 * nanosecond, extended attributes (including {@code security.capability}), hard links (grouped by the source's
 * (dev, inode)), symlinks (targets byte for byte, dangling or not), devices, FIFOs and holes of sparse files.
 * Sockets are skipped: layers cannot carry them. Names are copied as bytes, whatever their encoding.
 *
 * <p>Both trees are untrusted (layer content), so neither is ever reached by a path: the walk holds an open fd of
 * the source directory and of its copy, opens each child relative to them with {@code O_NOFOLLOW} (a directory
 * also with {@code O_DIRECTORY}), creates each entry with an {@code *at()} call that does not follow
 * ({@code O_CREAT|O_EXCL}, {@code mkdirat}, {@code symlinkat}, {@code mknodat}), and sets metadata on the open fd
 * ({@code fchown}, {@code fsetxattr}, {@code fchmod}, {@code futimens}) or, for symlinks and device nodes which are
 * never opened, with {@code AT_SYMLINK_NOFOLLOW} calls relative to the directory fd. A FIFO or device is never
 * opened; a source file is opened only when getdents says it is regular and used only when fstat agrees.
 *
 * <p>File content is shared with {@code ioctl(FICLONE)} when the file system can reflink (btrfs, xfs), copied in
 * the kernel with {@code copy_file_range} otherwise, and read and written as the last resort; a file with holes
 * (fewer blocks than its size) is copied extent by extent ({@code SEEK_DATA}/{@code SEEK_HOLE}) so the holes stay.
 * Order per entry: chown before xattrs and chmod, because chown clears setuid/setgid and
 * {@code security.capability}; times last. A directory gets its owner, xattrs, mode and times when its last child
 * is done (post-order): nothing is created in it afterwards, so its mtime stays, and a 0555 directory still
 * receives its children. Setting its xattrs last also keeps a default ACL from being inherited by the copies.
 *
 * <p>Open fds are bounded whatever the depth: only the innermost {@value #KEEP_OPEN} directories keep theirs; an
 * outer one is re-opened by name (again with {@code O_NOFOLLOW|O_DIRECTORY}) when the walk returns to it.
 *
 * <p>On a machine with more than one CPU, file content and file metadata are copied on a second thread while the
 * walk goes on creating names: on tmpfs that takes about a fifth off the time of a
 * single-threaded copy, and it never changes what is created.
 *
 * <p>Not thread-safe: one instance remembers which copy method the file system accepts.
 */
public final class TreeCopier {
    /** How file content was copied. */
    public enum Method { REFLINK, COPY_FILE_RANGE, READ_WRITE }

    static final int KEEP_OPEN = 32;

    private static final int DT_UNKNOWN = 0;
    private static final int DT_FIFO = 1;
    private static final int DT_CHR = 2;
    private static final int DT_DIR = 4;
    private static final int DT_BLK = 6;
    private static final int DT_REG = 8;
    private static final int DT_LNK = 10;
    private static final int DT_SOCK = 12;

    private static final int DIR_OPEN = Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC;
    private static final int FILE_OPEN = Native.O_RDONLY | Native.O_NOFOLLOW | Native.O_CLOEXEC | Native.O_NOCTTY
            | Native.O_NONBLOCK;
    private static final int FILE_CREATE = Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW
            | Native.O_CLOEXEC | Native.O_NOCTTY;
    /** XATTR_LIST_MAX and XATTR_SIZE_MAX: no list or value can be larger. */
    private static final int XATTR_MAX = 65536;
    private static final int FALLBACK_BUFFER = 256 * 1024;

    /** Files handed to the content thread at a time: one queue operation per batch, not per file. */
    private static final int BATCH = 64;
    /** Batches in flight: bounds the fds held open for the content thread (two per file). */
    private static final int BATCHES_QUEUED = 4;

    private final boolean contentThread;
    private volatile boolean tryReflink = true;
    private volatile boolean tryCopyFileRange = true;
    private volatile Method lastMethod;

    /** A copier that copies file content on a second thread when the machine has more than one CPU. */
    public TreeCopier() {
        this(Runtime.getRuntime().availableProcessors() > 1);
    }

    /** {@code contentThread}: copy file content and file metadata on a second thread beside the walk. */
    TreeCopier(boolean contentThread) {
        this.contentThread = contentThread;
    }

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
        Run run = new Run(dst);
        try {
            run.copyAll(src.rootFd(), dst.rootFd());
        } finally {
            run.closeAll();
        }
    }

    /** What statx said about one source object; reused for files, one per directory on the walk. */
    private static final class Meta {
        int mode; // S_IF* type bits and permission bits
        int uid;
        int gid;
        long size;
        long blocks;
        long nlink;
        long dev;
        long ino;
        long rdev;
        long atimeSec;
        long atimeNsec;
        long mtimeSec;
        long mtimeNsec;

        void read(ByteBuffer b) {
            nlink = Integer.toUnsignedLong(b.getInt(16));
            uid = b.getInt(20);
            gid = b.getInt(24);
            mode = Short.toUnsignedInt(b.getShort(28));
            ino = b.getLong(32);
            size = b.getLong(40);
            blocks = b.getLong(48);
            atimeSec = b.getLong(64);
            atimeNsec = Integer.toUnsignedLong(b.getInt(72));
            mtimeSec = b.getLong(112);
            mtimeNsec = Integer.toUnsignedLong(b.getInt(120));
            rdev = Native.makedev(Integer.toUnsignedLong(b.getInt(128)), Integer.toUnsignedLong(b.getInt(132)));
            dev = Native.makedev(Integer.toUnsignedLong(b.getInt(136)), Integer.toUnsignedLong(b.getInt(140)));
        }

        int type() {
            return mode & Native.S_IFMT;
        }

        int perms() {
            return mode & 07777;
        }
    }

    /**
     * A directory on the walk: its name in its parent, fds of the source and of the copy (-1 while closed to bound
     * the fds held), its metadata for the post-order finish, and the children still to copy.
     */
    private static final class Frame {
        final Frame parent;
        final byte[] name; // NUL-terminated; empty for the root
        final int depth;
        final Meta meta = new Meta();
        int srcFd = -1;
        int dstFd = -1;
        byte[][] names = new byte[16][];
        byte[] types = new byte[16];
        int count;
        int next;

        Frame(Frame parent, byte[] name) {
            this.parent = parent;
            this.name = name;
            this.depth = parent == null ? 0 : parent.depth + 1;
        }

        void add(byte[] childName, byte type) {
            if (count == names.length) {
                names = Arrays.copyOf(names, count * 2);
                types = Arrays.copyOf(types, count * 2);
            }
            names[count] = childName;
            types[count] = type;
            count++;
        }

        boolean open() {
            return srcFd >= 0;
        }

        void closeFds() {
            Native.closeQuietly(srcFd);
            Native.closeQuietly(dstFd);
            srcFd = -1;
            dstFd = -1;
        }
    }

    /** Where the first copy of a multiply linked source went: later links are made to it. */
    private record LinkKey(long dev, long ino) {
    }

    private record Linked(Frame dir, byte[] name) {
    }

    /** A regular file whose copy was created: its content and metadata are still to be copied. */
    private record Job(int in, int out, Meta meta, Frame dir, byte[] name) {
    }

    /**
     * The second thread: the walk creates every name (so directory times, hard links and the order of directory
     * metadata stay the walk's business) and hands over each new file with both fds open; this thread copies its
     * content, owner, xattrs, mode and times and closes both fds. Neither the content nor the metadata of a file
     * changes anything in its directory, so the walk may finish the directory meanwhile. The first failure stops
     * the copying (later files are only closed) and is thrown to the walk at its next hand-over or at the end.
     */
    private final class ContentThread {
        final Io io;
        final ArrayBlockingQueue<Job[]> queue = new ArrayBlockingQueue<>(BATCHES_QUEUED);
        final Thread thread;
        Job[] batch = new Job[BATCH];
        int n;
        boolean done;
        volatile Throwable failure;
        volatile boolean aborted;

        ContentThread(Io io) {
            this.io = io;
            this.thread = new Thread(this::run, "strata-tree-copy");
            thread.setDaemon(true);
            thread.start();
        }

        void add(Job job) throws IOException {
            batch[n++] = job;
            if (n == BATCH) {
                flush();
            }
        }

        /** Waits until every file handed over is copied; throws the first failure. */
        void finish() throws IOException {
            if (n > 0) {
                flush();
            }
            put(new Job[0]);
            joinUninterruptibly();
            done = true;
            throwFailure();
        }

        /** After a failure of the walk: stops the thread and closes the fds of every file not copied. */
        void abort() {
            if (done) {
                return;
            }
            done = true;
            aborted = true;
            thread.interrupt();
            joinUninterruptibly();
            List<Job[]> left = new ArrayList<>();
            queue.drainTo(left);
            left.add(batch);
            for (Job[] b : left) {
                close(b);
            }
        }

        private void flush() throws IOException {
            throwFailure();
            Job[] full = batch;
            batch = new Job[BATCH];
            n = 0;
            put(full);
        }

        private void put(Job[] b) throws IOException {
            try {
                queue.put(b);
            } catch (InterruptedException e) {
                close(b);
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("tree copy interrupted");
            }
        }

        private void run() {
            while (true) {
                Job[] b;
                try {
                    b = queue.take();
                } catch (InterruptedException e) {
                    return; // aborted: the walk closes what is left
                }
                if (b.length == 0) {
                    return;
                }
                for (Job j : b) {
                    if (j == null) {
                        break;
                    }
                    if (failure != null || aborted) {
                        Native.closeQuietly(j.in());
                        Native.closeQuietly(j.out());
                        continue;
                    }
                    try {
                        io.copyFile(j.in(), j.out(), j.meta(), j.dir(), j.name());
                    } catch (Throwable t) {
                        failure = t;
                    } finally {
                        Native.closeQuietly(j.in());
                    }
                }
            }
        }

        private void throwFailure() throws IOException {
            Throwable t = failure;
            if (t instanceof IOException e) {
                throw e;
            } else if (t instanceof RuntimeException e) {
                throw e;
            } else if (t instanceof Error e) {
                throw e;
            }
        }

        private void joinUninterruptibly() {
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private static void close(Job[] b) {
            for (Job j : b) {
                if (j != null) {
                    Native.closeQuietly(j.in());
                    Native.closeQuietly(j.out());
                }
            }
        }
    }


    /**
     * Copies content and metadata of files between open fds, with its own buffers: the walk has one, and the
     * content thread (when there is one) has another.
     */
    private final class Io {
        final LinuxLibc libc = Native.libc();
        final boolean chownAlways;
        final int euid;
        final int egid;
        final ByteBuffer xattrList = direct(XATTR_MAX);
        final ByteBuffer xattrValue = direct(XATTR_MAX);
        final ByteBuffer times = direct(32);
        ByteBuffer buffer;

        Io(boolean chownAlways, int euid, int egid) {
            this.chownAlways = chownAlways;
            this.euid = euid;
            this.egid = egid;
        }

        /** Whether the copy, created by us, must be chowned to get the source's owner. */
        boolean needsChown(Meta m) {
            return chownAlways || m.uid != euid || m.gid != egid;
        }

        /** Content and metadata of the new, empty {@code out} from {@code in}; closes {@code out}, not {@code in}. */
        void copyFile(int in, int out, Meta m, Frame dir, byte[] name) throws IOException {
            try {
                copyContent(in, out, m, dir, name);
                finish(in, out, m, dir, name);
            } catch (IOException | RuntimeException e) {
                Native.closeQuietly(out);
                throw e;
            }
            if (libc.close(out) != 0 && Native.errno() != Errno.EINTR) {
                throw Errno.exception(Native.errno(), "tree copy: close", display(dir, name));
            }
        }

        /** Owner, xattrs, mode, times of the open copy {@code out} from the open source {@code in}. */
        void finish(int in, int out, Meta m, Frame dir, byte[] name) throws IOException {
            // Our own new files are already ours: chown only when it changes something (always as root, where a
            // file system may map owners, and when a setgid target could have given them another group).
            if (needsChown(m) && libc.fchown(out, m.uid, m.gid) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: chown", display(dir, name));
            }
            copyXattrs(in, out, dir, name);
            if (libc.fchmod(out, m.perms()) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: chmod", display(dir, name));
            }
            putTimes(m);
            if (libc.futimens(out, times) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: set times", display(dir, name));
            }
        }

        void putTimes(Meta m) {
            times.putLong(0, m.atimeSec).putLong(8, m.atimeNsec).putLong(16, m.mtimeSec).putLong(24, m.mtimeNsec);
        }

        private void copyContent(int in, int out, Meta m, Frame dir, byte[] name) throws IOException {
            if (m.size == 0) {
                return;
            }
            if (tryReflink) {
                if (libc.ioctl(out, Native.FICLONE, in) == 0) {
                    lastMethod = Method.REFLINK;
                    return;
                }
                int errno = Native.errno();
                if (!unsupported(errno)) {
                    throw Errno.exception(errno, "tree copy (FICLONE)", display(dir, name));
                }
                tryReflink = false;
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
        private boolean copySparse(int in, int out, long size, Frame dir, byte[] name) throws IOException {
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
        private void copyRange(int in, int out, long len, Frame dir, byte[] name) throws IOException {
            long copied = 0;
            if (tryCopyFileRange) {
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
                        tryCopyFileRange = false;
                        break;
                    }
                    throw Errno.exception(errno, "tree copy (copy_file_range)", display(dir, name));
                }
                if (tryCopyFileRange) {
                    lastMethod = Method.COPY_FILE_RANGE;
                    return;
                }
            }
            if (buffer == null) {
                buffer = direct(FALLBACK_BUFFER);
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
            lastMethod = Method.READ_WRITE;
        }

        private boolean unsupported(int errno) {
            return errno == Errno.EOPNOTSUPP || errno == Errno.EXDEV || errno == Errno.EINVAL
                    || errno == Errno.ENOSYS || errno == 25 /* ENOTTY */ || errno == Errno.EPERM
                    || errno == Errno.EBADF;
        }

        /** Xattrs fd to fd: one flistxattr, which finds nothing for almost every file. */
        private void copyXattrs(int in, int out, Frame dir, byte[] name) throws IOException {
            long n = libc.flistxattr(in, xattrList, XATTR_MAX);
            if (n < 0) {
                int errno = Native.errno();
                if (errno == Errno.EOPNOTSUPP) {
                    return; // the source file system has none
                }
                throw Errno.exception(errno, "tree copy: list xattrs", display(dir, name));
            }
            for (byte[] key : keys(n)) {
                long size = libc.fgetxattr(in, key, xattrValue, XATTR_MAX);
                if (size < 0) {
                    if (Native.errno() == Errno.ENODATA) {
                        continue; // removed meanwhile
                    }
                    throw Errno.exception(Native.errno(), "tree copy: get xattr " + str(key), display(dir, name));
                }
                byte[] value = new byte[(int) size];
                xattrValue.get(0, value);
                if (libc.fsetxattr(out, key, value, value.length, 0) != 0) {
                    throw Errno.exception(Native.errno(), "tree copy: set xattr " + str(key), display(dir, name));
                }
            }
        }

        /** Xattrs of a symlink or device node, reached through {@code /proc/self/fd/<dirfd>/<name>}. */
        void copyXattrsByName(Frame dir, byte[] name) throws IOException {
            byte[] from = RootedFs.procPath(dir.srcFd, name);
            long size = libc.llistxattr(from, null, 0);
            if (size == 0) {
                return;
            }
            byte[] list = new byte[XATTR_MAX];
            long n = size < 0 ? size : libc.llistxattr(from, list, XATTR_MAX);
            if (n < 0) {
                int errno = Native.errno();
                if (errno == Errno.EOPNOTSUPP) {
                    return;
                }
                throw RootedFs.procError(errno, "tree copy: list xattrs", display(dir, name));
            }
            xattrList.put(0, list, 0, (int) n);
            byte[] to = RootedFs.procPath(dir.dstFd, name);
            byte[] value = new byte[XATTR_MAX];
            for (byte[] key : keys(n)) {
                long len = libc.lgetxattr(from, key, value, XATTR_MAX);
                if (len < 0) {
                    if (Native.errno() == Errno.ENODATA) {
                        continue;
                    }
                    throw RootedFs.procError(Native.errno(), "tree copy: get xattr " + str(key), display(dir, name));
                }
                if (libc.lsetxattr(to, key, Arrays.copyOf(value, (int) len), len, 0) != 0) {
                    throw RootedFs.procError(Native.errno(), "tree copy: set xattr " + str(key), display(dir, name));
                }
            }
        }

        /** The NUL-terminated names in the first {@code n} bytes of {@link #xattrList}. */
        private List<byte[]> keys(long n) {
            if (n == 0) {
                return List.of();
            }
            List<byte[]> keys = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (xattrList.get(i) == 0) {
                    byte[] key = new byte[i - start + 1];
                    xattrList.get(start, key, 0, i - start);
                    keys.add(key);
                    start = i + 1;
                }
            }
            return keys;
        }

    }

    private final class Run {
        final RootedFs dst;
        final LinuxLibc libc = Native.libc();
        final boolean root = libc.geteuid() == 0;
        final int euid = libc.geteuid();
        final int egid = libc.getegid();
        final ByteBuffer statx = direct(256);
        final ByteBuffer dirents = direct(64 * 1024);
        final Map<LinkKey, Linked> linked = new HashMap<>();
        final List<Frame> stack = new ArrayList<>();
        /** The walk's own content and metadata calls. */
        Io io;
        /** Copies file content and metadata beside the walk, or null to do it in the walk. */
        ContentThread content;
        Meta fileMeta = new Meta();

        Run(RootedFs dst) {
            this.dst = dst;
        }

        void copyAll(int srcRoot, int dstRoot) throws IOException {
            Frame top = new Frame(null, new byte[0]);
            top.srcFd = libc.openat(srcRoot, Native.DOT, DIR_OPEN, 0);
            if (top.srcFd < 0) {
                throw Errno.exception(Native.errno(), "tree copy: open source", ".");
            }
            stack.add(top);
            top.dstFd = libc.openat(dstRoot, Native.DOT, DIR_OPEN, 0);
            if (top.dstFd < 0) {
                throw Errno.exception(Native.errno(), "tree copy: open target", ".");
            }
            statFd(top.srcFd, top.meta, null, top.name);
            if (top.meta.type() != Native.S_IFDIR) {
                throw new IOException("tree copy source is not a directory");
            }
            Meta target = new Meta();
            statFd(top.dstFd, target, null, top.name);
            // As root chown always: a file system may map owners. Otherwise only where the owner differs from
            // ours, unless a setgid target root could have given new entries another group.
            boolean chownAlways = root || (target.mode & 02000) != 0;
            io = new Io(chownAlways, euid, egid);
            if (contentThread) {
                content = new ContentThread(new Io(chownAlways, euid, egid));
            }
            readNames(top);
            while (!stack.isEmpty()) {
                Frame f = stack.get(stack.size() - 1);
                reopen(f);
                if (f.next < f.count) {
                    int i = f.next++;
                    byte[] name = f.names[i];
                    f.names[i] = null;
                    copyEntry(f, name, f.types[i]);
                } else {
                    io.finish(f.srcFd, f.dstFd, f.meta, f.parent, f.name);
                    f.closeFds();
                    f.names = null;
                    f.types = null;
                    stack.remove(stack.size() - 1);
                }
            }
            if (content != null) {
                content.finish();
            }
        }

        void closeAll() {
            if (content != null) {
                content.abort();
            }
            for (Frame f : stack) {
                f.closeFds();
            }
            stack.clear();
        }

        private void copyEntry(Frame dir, byte[] name, int dtype) throws IOException {
            if (dtype == DT_UNKNOWN) {
                statx(dir, name);
                dtype = switch (Short.toUnsignedInt(statx.getShort(28)) & Native.S_IFMT) {
                    case Native.S_IFDIR -> DT_DIR;
                    case Native.S_IFREG -> DT_REG;
                    case Native.S_IFLNK -> DT_LNK;
                    case Native.S_IFCHR -> DT_CHR;
                    case Native.S_IFBLK -> DT_BLK;
                    case Native.S_IFIFO -> DT_FIFO;
                    default -> DT_SOCK;
                };
            }
            switch (dtype) {
                case DT_DIR -> enterDir(dir, name);
                case DT_REG -> copyFile(dir, name);
                case DT_LNK, DT_CHR, DT_BLK, DT_FIFO -> copySpecial(dir, name);
                default -> { } // sockets: a layer cannot carry them
            }
        }

        private void enterDir(Frame dir, byte[] name) throws IOException {
            Frame child = new Frame(dir, name);
            child.srcFd = libc.openat(dir.srcFd, name, DIR_OPEN, 0);
            if (child.srcFd < 0) {
                throw Errno.exception(Native.errno(), "tree copy: open directory", display(dir, name));
            }
            stack.add(child); // from here on closeAll() releases its fds
            statFd(child.srcFd, child.meta, dir, name);
            if (libc.mkdirat(dir.dstFd, name, 0700) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: mkdir", display(dir, name));
            }
            child.dstFd = libc.openat(dir.dstFd, name, DIR_OPEN, 0);
            if (child.dstFd < 0) {
                throw Errno.exception(Native.errno(), "tree copy: open new directory", display(dir, name));
            }
            readNames(child);
            trimOpen();
        }

        private void copyFile(Frame dir, byte[] name) throws IOException {
            int in = libc.openat(dir.srcFd, name, FILE_OPEN, 0);
            if (in < 0) {
                throw Errno.exception(Native.errno(), "tree copy: open", display(dir, name));
            }
            try {
                Meta m = fileMeta;
                statFd(in, m, dir, name);
                if (m.type() != Native.S_IFREG) { // swapped since getdents: not what we listed
                    throw Errno.exception(Errno.EINVAL, "tree copy (not a regular file)", display(dir, name));
                }
                if (m.nlink > 1 && linkToFirst(dir, name, m)) {
                    return;
                }
                int out = libc.openat(dir.dstFd, name, FILE_CREATE, 0600);
                if (out < 0) {
                    throw Errno.exception(Native.errno(), "tree copy: create", display(dir, name));
                }
                if (content != null) {
                    content.add(new Job(in, out, m, dir, name)); // it closes both from now on
                    in = -1;
                    fileMeta = new Meta();
                    return;
                }
                io.copyFile(in, out, m, dir, name);
            } finally {
                Native.closeQuietly(in);
            }
        }

        /** Symlinks, devices and FIFOs: never opened, so everything is done by name relative to the dir fds. */
        private void copySpecial(Frame dir, byte[] name) throws IOException {
            Meta m = fileMeta;
            statx(dir, name);
            m.read(statx);
            if (m.nlink > 1 && linkToFirst(dir, name, m)) {
                return;
            }
            int type = m.type();
            if (type == Native.S_IFLNK) {
                byte[] target = readlink(dir.srcFd, name, m.size, dir);
                if (libc.symlinkat(target, dir.dstFd, name) != 0) {
                    throw Errno.exception(Native.errno(), "tree copy: symlink", display(dir, name));
                }
            } else if (type == Native.S_IFCHR || type == Native.S_IFBLK || type == Native.S_IFIFO) {
                if (libc.mknodat(dir.dstFd, name, type | 0600, type == Native.S_IFIFO ? 0 : m.rdev) != 0) {
                    throw Errno.exception(Native.errno(), "tree copy: mknod", display(dir, name));
                }
            } else if (type == Native.S_IFSOCK) {
                return;
            } else {
                throw Errno.exception(Errno.EINVAL, "tree copy (changed type while copying)", display(dir, name));
            }
            if (io.needsChown(m) && libc.fchownat(dir.dstFd, name, m.uid, m.gid, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: chown", display(dir, name));
            }
            io.copyXattrsByName(dir, name);
            if (type != Native.S_IFLNK) {
                dst.chmodAt(dir.dstFd, name, m.perms(), display(dir, name));
            }
            io.putTimes(m);
            if (libc.utimensat(dir.dstFd, name, io.times, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: set times", display(dir, name));
            }
        }

        /** If an earlier link of the same source inode was copied, links {@code name} to that copy. */
        private boolean linkToFirst(Frame dir, byte[] name, Meta m) throws IOException {
            LinkKey key = new LinkKey(m.dev, m.ino);
            Linked first = linked.get(key);
            if (first == null) {
                linked.put(key, new Linked(dir, name));
                return false;
            }
            int firstDir = first.dir().dstFd;
            boolean opened = firstDir < 0;
            if (opened) {
                firstDir = openTargetDir(first.dir(), display(dir, name));
            }
            try {
                if (libc.linkat(firstDir, first.name(), dir.dstFd, name, 0) != 0) {
                    throw Errno.exception(Native.errno(), "tree copy: hard link to "
                            + display(first.dir(), first.name()), display(dir, name));
                }
            } finally {
                if (opened) {
                    Native.closeQuietly(firstDir);
                }
            }
            return true;
        }

        /** An O_PATH fd of the copy of {@code dir}, walked down from the target root without following anything. */
        private int openTargetDir(Frame dir, String display) throws IOException {
            List<Frame> chain = new ArrayList<>();
            for (Frame f = dir; f.parent != null; f = f.parent) {
                chain.add(f);
            }
            int fd = libc.openat(stack.get(0).dstFd, Native.DOT, Native.O_PATH | Native.O_DIRECTORY
                    | Native.O_CLOEXEC, 0);
            for (int i = chain.size() - 1; i >= 0 && fd >= 0; i--) {
                int next = libc.openat(fd, chain.get(i).name, Native.O_PATH | Native.O_DIRECTORY
                        | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
                int errno = Native.errno();
                Native.closeQuietly(fd);
                fd = next;
                if (fd < 0) {
                    throw Errno.exception(errno, "tree copy: open for hard link", display);
                }
            }
            if (fd < 0) {
                throw Errno.exception(Native.errno(), "tree copy: open for hard link", display);
            }
            return fd;
        }

        private byte[] readlink(int dirfd, byte[] name, long size, Frame dir) throws IOException {
            for (int cap = (int) Math.min(size + 1, 1 << 20); ; cap *= 2) {
                byte[] buf = new byte[cap];
                long n = libc.readlinkat(dirfd, name, buf, cap);
                if (n < 0) {
                    throw Errno.exception(Native.errno(), "tree copy: readlink", display(dir, name));
                }
                if (n < cap) {
                    byte[] target = Arrays.copyOf(buf, (int) n + 1); // NUL-terminated for symlinkat
                    target[(int) n] = 0;
                    return target;
                }
                if (cap > 1 << 20) {
                    throw Errno.exception(Errno.ERANGE, "tree copy: readlink", display(dir, name));
                }
            }
        }

        /** All names in {@code f}'s source directory (without . and ..) with their getdents type. */
        private void readNames(Frame f) throws IOException {
            ByteBuffer b = dirents;
            while (true) {
                b.clear();
                long n = libc.getdents64(f.srcFd, b, b.capacity());
                if (n < 0) {
                    if (Native.errno() == Errno.EINTR) {
                        continue;
                    }
                    throw Errno.exception(Native.errno(), "tree copy: list", display(f.parent, f.name));
                }
                if (n == 0) {
                    return;
                }
                for (int off = 0; off < n; ) {
                    int reclen = Short.toUnsignedInt(b.getShort(off + 16));
                    int len = 0;
                    while (b.get(off + 19 + len) != 0) {
                        len++;
                    }
                    boolean dot = (len == 1 && b.get(off + 19) == '.')
                            || (len == 2 && b.get(off + 19) == '.' && b.get(off + 20) == '.');
                    if (!dot) {
                        byte[] name = new byte[len + 1];
                        b.get(off + 19, name, 0, len);
                        f.add(name, b.get(off + 18));
                    }
                    off += reclen;
                }
            }
        }

        /** Closes the fds of directories more than {@link #KEEP_OPEN} levels up (never the root's). */
        private void trimOpen() {
            for (int i = stack.size() - 1 - KEEP_OPEN; i >= 1; i--) {
                Frame f = stack.get(i);
                if (!f.open()) {
                    break; // closed ones are all further up
                }
                f.closeFds();
            }
        }

        /** Re-opens {@code f} (and the closed directories above it) by name, as {@link #enterDir} opened them. */
        private void reopen(Frame f) throws IOException {
            if (f.open()) {
                return;
            }
            int first = f.depth;
            while (!stack.get(first - 1).open()) {
                first--;
            }
            for (int i = first; i <= f.depth; i++) {
                Frame c = stack.get(i);
                Frame p = stack.get(i - 1);
                c.srcFd = libc.openat(p.srcFd, c.name, DIR_OPEN, 0);
                if (c.srcFd < 0) {
                    throw Errno.exception(Native.errno(), "tree copy: re-open directory", display(p, c.name));
                }
                c.dstFd = libc.openat(p.dstFd, c.name, DIR_OPEN, 0);
                if (c.dstFd < 0) {
                    throw Errno.exception(Native.errno(), "tree copy: re-open new directory", display(p, c.name));
                }
            }
            trimOpen();
        }

        /** statx of the open {@code fd}, which is {@code name} in {@code dir} (named only in errors). */
        private void statFd(int fd, Meta m, Frame dir, byte[] name) throws IOException {
            if (libc.statx(fd, Native.EMPTY, Native.AT_EMPTY_PATH | Native.AT_SYMLINK_NOFOLLOW,
                    Native.STATX_BASIC_STATS, statx) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: lstat", display(dir, name));
            }
            m.read(statx);
        }

        /** statx of {@code name} in {@code dir}'s source directory, not following it. */
        private void statx(Frame dir, byte[] name) throws IOException {
            if (libc.statx(dir.srcFd, name, Native.AT_SYMLINK_NOFOLLOW, Native.STATX_BASIC_STATS, statx) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: lstat", display(dir, name));
            }
        }

    }

    static String display(Frame dir, byte[] name) {
        StringBuilder sb = new StringBuilder(str(name));
        for (Frame f = dir; f != null && f.parent != null; f = f.parent) {
            sb.insert(0, '/').insert(0, str(f.name));
        }
        return sb.isEmpty() ? "." : sb.toString();
    }

    private static String str(byte[] cstr) {
        int len = cstr.length > 0 && cstr[cstr.length - 1] == 0 ? cstr.length - 1 : cstr.length;
        return new String(cstr, 0, len, StandardCharsets.UTF_8);
    }

    private static ByteBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }
}
