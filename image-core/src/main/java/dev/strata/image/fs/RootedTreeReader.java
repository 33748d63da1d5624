package dev.strata.image.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads a directory tree that someone else may be changing (a container's upper directory, a layer being
 * committed) without ever following a symlink, so that nothing planted in the tree can make us read a file outside
 * it. This is the read-side twin of {@link RootedFs} and the one reader behind diff, commit and copy.
 *
 * <h2>Resolution</h2>
 * Paths are relative to the root and cleaned like {@link RootedFs}'s. The parent directory of a path is opened
 * from the root fd with {@code openat2(RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS)} (or the walk of {@link Resolver} with
 * symlinks refused): a symlink anywhere on the way is {@code ELOOP} and a non-directory {@code ENOTDIR}, never a
 * detour. The final component is then acted on relative to that fd without following it ({@code statx
 * AT_SYMLINK_NOFOLLOW}, {@code readlinkat}, {@code l*xattr} on {@code /proc/self/fd/<dir>/<name>}, {@code openat
 * O_PATH|O_NOFOLLOW}). So a directory swapped for a symlink between two calls makes the second call fail; it can
 * never redirect it. The last parent directory is kept open, as the walks of diff and layer writing go through
 * siblings together: an entry read through it comes from the directory that was listed, wherever it is now.
 *
 * <h2>Reading one node</h2>
 * {@link #node} opens the node itself ({@code O_PATH|O_NOFOLLOW}: no side effects, never blocks, works for every
 * type) and {@code fstat}s that fd. Its target, attributes and content are then read through that same fd, so they
 * all belong to the object whose type was checked: content only for a regular file, reopened through
 * {@code /proc/self/fd/N} with {@code O_NONBLOCK} (a FIFO can never make us hang) and checked again with
 * {@code fstat}.
 *
 * <p>Needs /proc for xattrs and content, as {@link RootedFs} does for xattrs. Not thread-safe; one reader per walk.
 */
public final class RootedTreeReader implements AutoCloseable {
    private static final int EOPNOTSUPP = Errno.EOPNOTSUPP;

    private final Path root;
    private final int rootfd;
    private final boolean useOpenat2;
    private List<String> cachedDir = List.of();
    private int cachedFd = -1;
    private boolean closed;

    private RootedTreeReader(Path root, int rootfd, boolean useOpenat2) {
        this.root = root;
        this.rootfd = rootfd;
        this.useOpenat2 = useOpenat2;
        this.cachedFd = rootfd;
    }

    /** Opens {@code root} (trusted: symlinks in its own path are followed) as the root of all later reads. */
    public static RootedTreeReader open(Path root) throws IOException {
        return open(root, true);
    }

    /** For tests: {@code allowOpenat2} false forces the component walk. */
    static RootedTreeReader open(Path root, boolean allowOpenat2) throws IOException {
        Path abs = root.toAbsolutePath();
        int fd = Native.libc().openat(Native.AT_FDCWD, Native.cstr(abs.toString()),
                Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.exception(Native.errno(), "open tree", abs.toString());
        }
        return new RootedTreeReader(abs, fd, allowOpenat2 && Resolver.openat2Supported(fd));
    }

    /** The root directory, as opened. */
    public Path root() {
        return root;
    }

    /** Whether parents are resolved with openat2 (else the component walk). */
    boolean usesOpenat2() {
        return useOpenat2;
    }

    /** What {@code path} itself is, or {@code null} when nothing is there. */
    public FileStat lstat(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        try {
            return Statx.lstat(dir(p.parent(), "lstat", p), Native.cstr(p.name()), "lstat", p.display());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The names in the directory {@code path} (which must be a directory, not a symlink to one), sorted. */
    public List<String> list(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        int dfd = noSymlinks(dir(p.parent(), "list", p), p.isRoot() ? List.of() : List.of(p.name()), "list", p);
        try {
            return Dirents.listSorted(dfd, p.display());
        } finally {
            if (dfd != cachedFd) {
                Native.closeQuietly(dfd);
            }
        }
    }

    /** The target of the symlink {@code path}, as stored. */
    public String readlink(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        return Resolver.readlink(dir(p.parent(), "readlink", p), Native.cstr(p.name()), "readlink", p.display());
    }

    /**
     * The extended attributes of {@code path} itself (any type, a symlink included), sorted by name; none on a
     * file system without xattrs.
     */
    public SortedMap<String, byte[]> xattrs(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        return readXattrs(RootedFs.procPath(dir(p.parent(), "xattrs", p), Native.cstr(p.name())), false, p.display());
    }

    /** Opens {@code path} itself to read it through one fd: see {@link Node}. */
    public Node node(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        int fd = Native.libc().openat(dir(p.parent(), "open", p), Native.cstr(p.name()),
                Native.O_PATH | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.exception(Native.errno(), "open", p.display());
        }
        try {
            return new Node(fd, Statx.lstat(fd, Native.EMPTY, "fstat", p.display()), p.display());
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * One node of the tree, held by an {@code O_PATH|O_NOFOLLOW} fd: {@link #stat} is what that fd is, and every
     * other read goes through the same fd, so a swap in the tree after {@link RootedTreeReader#node} cannot change
     * what is read. Close it.
     */
    public final class Node implements AutoCloseable {
        private final int fd;
        private final FileStat stat;
        private final String display;
        private boolean nodeClosed;

        private Node(int fd, FileStat stat, String display) {
            this.fd = fd;
            this.stat = stat;
            this.display = display;
        }

        /** {@code fstat} of the opened node. */
        public FileStat stat() {
            return stat;
        }

        /** The target of this symlink ({@code readlinkat(fd, "")}); EINVAL for anything else. */
        public String readlink() throws IOException {
            return Resolver.readlink(fd, Native.EMPTY, "readlink", display);
        }

        /** The extended attributes of exactly this node, sorted by name. */
        public SortedMap<String, byte[]> xattrs() throws IOException {
            return readXattrs(procSelf(), true, display);
        }

        /**
         * The content of this regular file; anything else is refused with EINVAL, and nothing but a regular file
         * is ever opened for reading. The stream owns its own fd and may outlive the node.
         */
        public InputStream content() throws IOException {
            if (!stat.isRegularFile()) {
                throw Errno.exception(Errno.EINVAL, "read (a " + stat.type() + ", not a regular file)", display);
            }
            int in = Native.libc().openat(Native.AT_FDCWD, procSelf(), Native.O_RDONLY | Native.O_NONBLOCK
                    | Native.O_NOCTTY | Native.O_CLOEXEC, 0);
            if (in < 0) {
                throw RootedFs.procError(Native.errno(), "read", display);
            }
            try {
                FileStat now = Statx.lstat(in, Native.EMPTY, "fstat", display);
                if (!now.isRegularFile() || now.dev() != stat.dev() || now.ino() != stat.ino()) {
                    throw Errno.exception(Errno.EINVAL, "read (not the regular file that was opened)", display);
                }
            } catch (IOException | RuntimeException e) {
                Native.closeQuietly(in);
                throw e;
            }
            return new FdInputStream(in, display);
        }

        private byte[] procSelf() {
            return ("/proc/self/fd/" + fd + "\0").getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public void close() {
            if (!nodeClosed) {
                nodeClosed = true;
                Native.closeQuietly(fd);
            }
        }
    }

    private static SortedMap<String, byte[]> readXattrs(byte[] proc, boolean follow, String display)
            throws IOException {
        SortedMap<String, byte[]> out = new TreeMap<>();
        List<String> names;
        try {
            names = XattrCalls.list(proc, follow, "listXattrs", display);
        } catch (RootedFsException e) {
            if (e.errno() == EOPNOTSUPP) {
                return out; // a file system without xattrs has none to carry
            }
            throw e;
        }
        for (String name : names) {
            XattrCalls.get(proc, Native.cstr(name), follow, "getXattr " + name, display)
                    .ifPresent(v -> out.put(name, v));
        }
        return out;
    }

    /** The parent directory {@code comps}, opened without following symlinks; kept open until another is asked. */
    private int dir(List<String> comps, String op, RelPath p) throws IOException {
        if (closed) {
            throw new ClosedFileSystemException();
        }
        if (comps.equals(cachedDir)) {
            return cachedFd;
        }
        int fd = noSymlinks(rootfd, comps, op, p);
        if (cachedFd != rootfd) {
            Native.closeQuietly(cachedFd);
        }
        cachedFd = fd;
        cachedDir = List.copyOf(comps);
        return fd;
    }

    /** {@link Resolver#openDirNoSymlinks}, with an error that says why a path that was listed is refused now. */
    private int noSymlinks(int from, List<String> comps, String op, RelPath p) throws IOException {
        try {
            return Resolver.openDirNoSymlinks(from, comps, useOpenat2, op, p.display());
        } catch (RootedFsException e) {
            if (e.errno() != Errno.ELOOP && e.errno() != Errno.ENOTDIR) {
                throw e;
            }
            throw new RootedFsException(p.display(), e.errno(), e.errnoName(), op + ": " + e.errnoName()
                    + ": a directory on the path is a symlink or not a directory (changed while the tree was read?); "
                    + "an untrusted tree is read without following symlinks");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (cachedFd != rootfd) {
                Native.closeQuietly(cachedFd);
            }
            Native.closeQuietly(rootfd);
        }
    }

    @Override
    public String toString() {
        return "RootedTreeReader[" + root + (useOpenat2 ? ", openat2" : ", walk") + "]";
    }
}
