package dev.strata.image.fs;

import dev.strata.image.UnsafeLayerException;
import dev.strata.image.fs.Native.LinuxLibc;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Every file system operation under an untrusted tree (an image root being extracted, a layer directory) goes
 * through this class, so that nothing a layer plants can make us touch a file outside the root.
 *
 * <h2>Paths</h2>
 * Operations take a path relative to the root as a String, cleaned lexically the way tar -C, docker and containerd
 * clean archive names: {@code /etc/passwd}, {@code ./etc/passwd} and {@code etc/../etc/passwd} all name
 * {@code ROOT/etc/passwd}, and {@code ..} never climbs above the root. Names are encoded as UTF-8.
 *
 * <h2>Resolution</h2>
 * Each operation opens the <em>parent</em> directory of its path from the root fd with
 * {@code openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)} (or, on kernels without it, an equivalent walk that never
 * lets the kernel follow a symlink; see {@link Resolver}): symlinks in the parent chain are followed as if the
 * process were chrooted to the root (an absolute target restarts at the root, {@code ..} stops there). The final
 * component is then acted on with an {@code *at()} call relative to that directory fd that does not follow it:
 * {@code O_NOFOLLOW}/{@code O_EXCL}, {@code AT_SYMLINK_NOFOLLOW}, or calls that never follow ({@code mkdirat},
 * {@code symlinkat}, {@code unlinkat}, {@code renameat}, {@code linkat} without {@code AT_SYMLINK_FOLLOW}). So
 * {@code evil -> /} followed by {@code createFile("evil/etc/x")} writes {@code ROOT/etc/x}, while
 * {@code chown("evil")} changes the link itself.
 *
 * <h2>Special cases</h2>
 * <ul>
 *   <li>chmod uses {@code fchmodat2(dirfd, name, mode, AT_SYMLINK_NOFOLLOW)} (Linux 6.6+); without it the final
 *       component is opened with {@code O_PATH|O_NOFOLLOW} and changed through {@code /proc/self/fd/N}, which names
 *       exactly that inode. Either way a symlink is refused with EOPNOTSUPP (Linux symlinks have no mode of their
 *       own). {@code chown} clears setuid/setgid, so callers chown first and chmod after.</li>
 *   <li>xattrs use the {@code l*xattr} calls on {@code /proc/self/fd/<parentfd>/<name>}: the magic link is the
 *       exact parent directory we opened safely, and the l-variant does not follow {@code name}. Needs /proc.</li>
 *   <li>{@link #setTimes} and {@link #chown} act on a symlink itself ({@code AT_SYMLINK_NOFOLLOW}).</li>
 *   <li>{@link #list} follows a final symlink (within the root), like {@code ls dir/}; {@link #openRead},
 *       {@link #copyFileFrom} and {@link #createFile} never follow one (ELOOP / EEXIST).</li>
 *   <li>Paths longer than PATH_MAX and trees of any depth work: the walk holds a bounded number of fds.</li>
 *   <li>The root never changes type: removing, replacing or renaming the root (path {@code ""}, {@code "/"},
 *       {@code "."}, {@code ".."}, ...) throws {@link UnsafeLayerException}. Metadata calls on the root (chmod,
 *       chown, times, xattrs, lstat) are allowed.</li>
 *   <li>{@code mkdir}, {@code createFile} and {@code mknod} modes are filtered by the process umask as in the
 *       system calls; call {@link #chmod} when exact bits (setuid, sticky, group write) matter.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * {@link NoSuchFileException} (ENOENT), {@link java.nio.file.FileAlreadyExistsException} (EEXIST), else
 * {@link RootedFsException} with the errno; every message names the path as given and the errno. A name with a NUL
 * byte is an {@link IllegalArgumentException}; an attempt on the root itself an {@link UnsafeLayerException}.
 *
 * <p>Thread-safe: operations share only the root fd. Do not {@link #close} while operations are running.
 */
public final class RootedFs implements AutoCloseable {
    private static volatile Boolean fchmodat2Supported;

    private final Path root;
    private final int rootfd;
    private final boolean useOpenat2;
    private final boolean useFchmodat2;
    private volatile boolean closed;

    private RootedFs(Path root, int rootfd, boolean useOpenat2, boolean useFchmodat2) {
        this.root = root;
        this.rootfd = rootfd;
        this.useOpenat2 = useOpenat2;
        this.useFchmodat2 = useFchmodat2;
    }

    /** Opens {@code root} (trusted: symlinks in it are followed) as the root of all later operations. */
    public static RootedFs open(Path root) throws IOException {
        return open(root, true, true);
    }

    /** For tests: {@code allowOpenat2}/{@code allowFchmodat2} false force the fallbacks. */
    static RootedFs open(Path root, boolean allowOpenat2, boolean allowFchmodat2) throws IOException {
        Path abs = root.toAbsolutePath();
        LinuxLibc libc = Native.libc();
        int fd = libc.openat(Native.AT_FDCWD, Native.cstr(abs.toString()),
                Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.exception(Native.errno(), "open root", abs.toString());
        }
        boolean openat2 = allowOpenat2 && Resolver.openat2Supported(fd);
        boolean fchmodat2 = allowFchmodat2 && fchmodat2Supported();
        return new RootedFs(abs, fd, openat2, fchmodat2);
    }

    /** The root directory, as opened. */
    public Path root() {
        return root;
    }

    /** The O_PATH fd of the root, for fd-relative walks in this package; valid until {@link #close}. */
    int rootFd() {
        if (closed) {
            throw new ClosedFileSystemException();
        }
        return rootfd;
    }

    /** Whether path resolution uses openat2 (else the component walk). */
    boolean usesOpenat2() {
        return useOpenat2;
    }

    boolean usesFchmodat2() {
        return useFchmodat2;
    }

    // ---------------------------------------------------------------- creating

    /** Creates directory {@code path}; the root itself already exists (EEXIST). */
    public void mkdir(String path, int mode) throws IOException {
        RelPath p = RelPath.parse(path);
        withParent(p, "mkdir", (dfd, name) -> {
            if (Native.libc().mkdirat(dfd, name, mode & 07777) != 0) {
                throw Errno.exception(Native.errno(), "mkdir", p.display());
            }
            return null;
        });
    }

    /**
     * Creates {@code path} and any missing parents with {@code mode}; existing directories (or symlinks to
     * directories within the root) are kept as they are.
     */
    public void mkdirs(String path, int mode) throws IOException {
        RelPath p = RelPath.parse(path);
        List<String> comps = p.components();
        try {
            Resolver.release(rootfd, openDir(comps, "mkdirs", p));
            return;
        } catch (NoSuchFileException missing) {
            // create below
        }
        for (int i = 0; i < comps.size(); i++) {
            int dfd = openDir(comps.subList(0, i), "mkdirs", p);
            try {
                if (Native.libc().mkdirat(dfd, Native.cstr(comps.get(i)), mode & 07777) != 0) {
                    int errno = Native.errno();
                    if (errno != Errno.EEXIST) {
                        throw Errno.exception(errno, "mkdirs", p.display());
                    }
                }
            } finally {
                Resolver.release(rootfd, dfd);
            }
        }
        Resolver.release(rootfd, openDir(comps, "mkdirs", p)); // the result must be a directory
    }

    /**
     * Creates the regular file {@code path}, which must not exist (not even as a symlink: EEXIST), and returns a
     * stream writing to it. Callers replacing a file unlink it first.
     */
    public FdOutputStream createFile(String path, int mode) throws IOException {
        RelPath p = RelPath.parse(path);
        return new FdOutputStream(createFd(p, mode, "createFile"), p.display());
    }

    private int createFd(RelPath p, int mode, String op) throws IOException {
        refuseRoot(p, op);
        return withParent(p, op, (dfd, name) -> {
            int f = Native.libc().openat(dfd, name, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL
                    | Native.O_NOFOLLOW | Native.O_CLOEXEC | Native.O_NOCTTY, mode & 07777);
            if (f < 0) {
                throw Errno.exception(Native.errno(), op, p.display());
            }
            return f;
        });
    }

    /** Opens the regular file {@code path} for reading; a symlink is refused (ELOOP), not followed. */
    public InputStream openRead(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        return new FdInputStream(openReadFd(p, "openRead"), p.display());
    }

    private int openReadFd(RelPath p, String op) throws IOException {
        int fd = withParent(p, op, (dfd, name) -> {
            // Look before opening: opening a device node can have side effects (a tape rewinds, a tty becomes
            // ours), so only a regular file is opened. The check after the open covers a swap in between;
            // O_NONBLOCK keeps a FIFO swapped in meanwhile from blocking us.
            int type = Statx.mode(dfd, name, op, p.display()) & Native.S_IFMT;
            if (type != Native.S_IFREG) {
                throw Errno.exception(type == Native.S_IFLNK ? Errno.ELOOP : Errno.EINVAL,
                        op + " (not a regular file)", p.display());
            }
            int f = Native.libc().openat(dfd, name, Native.O_RDONLY | Native.O_NOFOLLOW | Native.O_CLOEXEC
                    | Native.O_NOCTTY | Native.O_NONBLOCK, 0);
            if (f < 0) {
                throw Errno.exception(Native.errno(), op, p.display());
            }
            return f;
        });
        try {
            if ((Statx.mode(fd, op, p.display()) & Native.S_IFMT) != Native.S_IFREG) {
                throw Errno.exception(Errno.EINVAL, op + " (not a regular file)", p.display());
            }
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(fd);
            throw e;
        }
        return fd;
    }

    /**
     * Copies the regular file {@code from} under {@code source} (which may be this fs) to the new file {@code to}
     * here, created as by {@link #createFile}. Shares extents where the file system can ({@code FICLONE}: btrfs,
     * xfs), else lets the kernel copy ({@code copy_file_range}), else reads and writes. Neither side is followed
     * if it is a symlink. Returns the number of bytes copied.
     */
    public long copyFileFrom(RootedFs source, String from, String to, int mode) throws IOException {
        RelPath f = RelPath.parse(from);
        RelPath t = RelPath.parse(to);
        int in = source.openReadFd(f, "copy");
        try {
            int out = createFd(t, mode, "copy");
            long copied;
            try {
                copied = FileCopier.copy(in, out, f.display() + " -> " + t.display());
            } catch (IOException | RuntimeException e) {
                Native.closeQuietly(out);
                throw e;
            }
            if (Native.libc().close(out) != 0 && Native.errno() != Errno.EINTR) {
                throw Errno.exception(Native.errno(), "close", t.display());
            }
            return copied;
        } finally {
            Native.closeQuietly(in);
        }
    }

    /** Creates the symlink {@code path} with the given target; the target is data and is not checked. */
    public void symlink(String path, String target) throws IOException {
        RelPath p = RelPath.parse(path);
        refuseRoot(p, "symlink");
        byte[] t = Native.cstr(target);
        withParent(p, "symlink", (dfd, name) -> {
            if (Native.libc().symlinkat(t, dfd, name) != 0) {
                throw Errno.exception(Native.errno(), "symlink", p.display());
            }
            return null;
        });
    }

    /**
     * Creates {@code path} as a hard link to the existing {@code target}, both resolved within the root. If
     * {@code target} is a symlink, the link itself is linked (linkat without AT_SYMLINK_FOLLOW), as tar does.
     */
    public void hardlink(String path, String target) throws IOException {
        RelPath p = RelPath.parse(path);
        RelPath t = RelPath.parse(target);
        refuseRoot(p, "hardlink");
        refuseRoot(t, "hardlink target");
        withParent(t, "hardlink", (tdfd, tname) -> withParent(p, "hardlink", (dfd, name) -> {
            if (Native.libc().linkat(tdfd, tname, dfd, name, 0) != 0) {
                throw Errno.exception(Native.errno(), "hardlink to " + t.display(), p.display());
            }
            return null;
        }));
    }

    /** Creates a character device, block device or FIFO. Devices need CAP_MKNOD. */
    public void mknod(String path, FileType type, int mode, int major, int minor) throws IOException {
        if (type != FileType.CHAR_DEVICE && type != FileType.BLOCK_DEVICE && type != FileType.FIFO) {
            throw new IllegalArgumentException("mknod makes devices and FIFOs, not " + type + ": " + path);
        }
        RelPath p = RelPath.parse(path);
        refuseRoot(p, "mknod");
        long dev = type == FileType.FIFO ? 0 : Native.makedev(Integer.toUnsignedLong(major),
                Integer.toUnsignedLong(minor));
        withParent(p, "mknod", (dfd, name) -> {
            if (Native.libc().mknodat(dfd, name, type.modeBits() | (mode & 07777), dev) != 0) {
                throw Errno.exception(Native.errno(), "mknod", p.display());
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- metadata

    /** Changes owner and group of {@code path} itself (a symlink is not followed); -1 keeps a value. */
    public void chown(String path, int uid, int gid) throws IOException {
        RelPath p = RelPath.parse(path);
        withParent(p, "chown", (dfd, name) -> {
            if (Native.libc().fchownat(dfd, name, uid, gid, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                throw Errno.exception(Native.errno(), "chown", p.display());
            }
            return null;
        });
    }

    /**
     * Sets the permission bits of {@code path} including setuid (04000), setgid (02000) and sticky (01000); not
     * filtered by the umask. A symlink is refused with EOPNOTSUPP rather than followed.
     */
    public void chmod(String path, int mode) throws IOException {
        RelPath p = RelPath.parse(path);
        int bits = mode & 07777;
        withParent(p, "chmod", (dfd, name) -> {
            chmodAt(dfd, name, bits, p.display());
            return null;
        });
    }

    /** chmod of {@code name} in the directory {@code dfd}, never following a symlink (refused: EOPNOTSUPP). */
    void chmodAt(int dfd, byte[] name, int bits, String display) throws IOException {
        if (useFchmodat2) {
            long r = Native.libc().sysFchmodat2(Native.SYS_FCHMODAT2, dfd, name, bits, Native.AT_SYMLINK_NOFOLLOW);
            if (r != 0) {
                throw Errno.exception(Native.errno(), "chmod", display);
            }
            return;
        }
        // Pin the object with an O_PATH fd (never follows), check it, then chmod exactly that inode via its
        // /proc/self/fd magic link: no window in which a swapped-in symlink could be followed.
        int fd = Native.libc().openat(dfd, name, Native.O_PATH | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.exception(Native.errno(), "chmod", display);
        }
        try {
            if ((Statx.mode(fd, "chmod", display) & Native.S_IFMT) == Native.S_IFLNK) {
                throw Errno.exception(Errno.EOPNOTSUPP, "chmod", display);
            }
            if (Native.libc().fchmodat(Native.AT_FDCWD, Native.cstr("/proc/self/fd/" + fd), bits, 0) != 0) {
                throw procError(Native.errno(), "chmod (via /proc/self/fd)", display);
            }
        } finally {
            Native.closeQuietly(fd);
        }
    }

    /**
     * Sets access and modification time of {@code path} itself (a symlink is not followed), with nanosecond
     * precision; {@code null} leaves that time unchanged.
     */
    public void setTimes(String path, Instant atime, Instant mtime) throws IOException {
        RelPath p = RelPath.parse(path);
        ByteBuffer ts = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
        putTimespec(ts, 0, atime);
        putTimespec(ts, 16, mtime);
        withParent(p, "setTimes", (dfd, name) -> {
            if (Native.libc().utimensat(dfd, name, ts, Native.AT_SYMLINK_NOFOLLOW) != 0) {
                throw Errno.exception(Native.errno(), "setTimes", p.display());
            }
            return null;
        });
    }

    static void putTimespec(ByteBuffer b, int off, Instant t) {
        if (t == null) {
            b.putLong(off, 0);
            b.putLong(off + 8, Native.UTIME_OMIT);
        } else {
            b.putLong(off, t.getEpochSecond());
            b.putLong(off + 8, t.getNano());
        }
    }

    /** Sets the extended attribute {@code key} of {@code path} itself (not following a symlink). */
    public void setXattr(String path, String key, byte[] value) throws IOException {
        RelPath p = RelPath.parse(path);
        byte[] k = Native.cstr(key);
        withParent(p, "setXattr", (dfd, name) -> {
            if (Native.libc().lsetxattr(procPath(dfd, name), k, value, value.length, 0) != 0) {
                throw procError(Native.errno(), "setXattr " + key, p.display());
            }
            return null;
        });
    }

    /** The value of extended attribute {@code key} of {@code path} itself, or empty when it has none. */
    public Optional<byte[]> getXattr(String path, String key) throws IOException {
        RelPath p = RelPath.parse(path);
        byte[] k = Native.cstr(key);
        return withParent(p, "getXattr", (dfd, name) ->
                XattrCalls.get(procPath(dfd, name), k, false, "getXattr " + key, p.display()));
    }

    /** The names of the extended attributes of {@code path} itself, sorted. */
    public List<String> listXattrs(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        return withParent(p, "listXattrs", (dfd, name) ->
                XattrCalls.list(procPath(dfd, name), false, "listXattrs", p.display()));
    }

    /** Removes the extended attribute {@code key} of {@code path} itself; absent is ENODATA. */
    public void removeXattr(String path, String key) throws IOException {
        RelPath p = RelPath.parse(path);
        byte[] k = Native.cstr(key);
        withParent(p, "removeXattr", (dfd, name) -> {
            if (Native.libc().lremovexattr(procPath(dfd, name), k) != 0) {
                throw procError(Native.errno(), "removeXattr " + key, p.display());
            }
            return null;
        });
    }

    /**
     * {@code /proc/self/fd/<dfd>/<name>}: the kernel resolves the magic link to exactly the directory {@code dfd}
     * (opened safely), then looks up {@code name} there; the l*xattr calls do not follow {@code name}.
     */
    static byte[] procPath(int dfd, byte[] name) {
        byte[] prefix = ("/proc/self/fd/" + dfd + "/").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[prefix.length + name.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(name, 0, out, prefix.length, name.length); // name is NUL-terminated
        return out;
    }

    /**
     * The error of a call made through {@code /proc/self/fd}: ENOENT there usually means the file is missing, but
     * if /proc is not mounted it would blame the wrong thing, so that case says what is really missing.
     */
    static IOException procError(int errno, String op, String display) {
        if (errno == Errno.ENOENT && !java.nio.file.Files.isDirectory(Path.of("/proc/self/fd"))) {
            throw new dev.strata.image.UnsupportedPlatformException(
                    op + " on " + display + " needs /proc mounted (it reaches the file through /proc/self/fd)");
        }
        return Errno.exception(errno, op, display);
    }

    /** lstat: what {@code path} itself is (a symlink is reported as a symlink). */
    public FileStat lstat(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        return withParent(p, "lstat", (dfd, name) -> Statx.lstat(dfd, name, "lstat", p.display()));
    }

    /** Whether {@code path} itself exists (a dangling symlink exists). */
    public boolean exists(String path) throws IOException {
        try {
            lstat(path);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (RootedFsException e) {
            if (e.errno() == Errno.ENOTDIR) {
                return false;
            }
            throw e;
        }
    }

    /** The target of the symlink {@code path}, as stored (not resolved). */
    public String readlink(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        return withParent(p, "readlink", (dfd, name) -> Resolver.readlink(dfd, name, "readlink", p.display()));
    }

    /** The names in directory {@code path} (a final symlink is followed within the root), sorted, no . or ... */
    public List<String> list(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        int dfd = openDir(p.components(), "list", p);
        try {
            return Dirents.listSorted(dfd, p.display());
        } finally {
            Resolver.release(rootfd, dfd);
        }
    }

    // ---------------------------------------------------------------- removing and renaming

    /** Removes the non-directory {@code path} (a symlink is removed, not followed). */
    public void unlink(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        refuseRoot(p, "unlink");
        try {
            withParent(p, "unlink", (dfd, name) -> {
                if (Native.libc().unlinkat(dfd, name, 0) != 0) {
                    throw Errno.exception(Native.errno(), "unlink", p.display());
                }
                return null;
            });
        } finally {
            namesChanged();
        }
    }

    /** Removes the empty directory {@code path}. */
    public void rmdir(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        refuseRoot(p, "rmdir");
        try {
            withParent(p, "rmdir", (dfd, name) -> {
                if (Native.libc().unlinkat(dfd, name, Native.AT_REMOVEDIR) != 0) {
                    throw Errno.exception(Native.errno(), "rmdir", p.display());
                }
                return null;
            });
        } finally {
            namesChanged();
        }
    }

    /**
     * Removes {@code path} and, if it is a directory, everything below it, never following a symlink (a symlink
     * is removed as a name). A missing {@code path} is not an error.
     */
    public void removeAll(String path) throws IOException {
        RelPath p = RelPath.parse(path);
        refuseRoot(p, "removeAll");
        int dfd;
        try {
            dfd = openDir(p.parent(), "removeAll", p);
        } catch (NoSuchFileException missing) {
            return;
        }
        try {
            Remover.remove(dfd, p.name(), p.display());
        } finally {
            Resolver.release(rootfd, dfd);
            namesChanged();
        }
    }

    /** Renames {@code from} to {@code to} (replacing a file or empty directory there); neither is followed. */
    public void rename(String from, String to) throws IOException {
        RelPath f = RelPath.parse(from);
        RelPath t = RelPath.parse(to);
        refuseRoot(f, "rename");
        refuseRoot(t, "rename onto");
        try {
            withParent(f, "rename", (fdfd, fname) -> withParent(t, "rename", (tdfd, tname) -> {
                if (Native.libc().renameat(fdfd, fname, tdfd, tname) != 0) {
                    throw Errno.exception(Native.errno(), "rename to " + t.display(), f.display());
                }
                return null;
            }));
        } finally {
            namesChanged();
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (CachedDir c : liveCached) {
                if (liveCached.remove(c)) {
                    Resolver.release(rootfd, c.fd());
                }
            }
            Native.closeQuietly(rootfd);
        }
    }

    @Override
    public String toString() {
        return "RootedFs[" + root + (useOpenat2 ? ", openat2" : ", walk") + "]";
    }

    // ---------------------------------------------------------------- plumbing

    @FunctionalInterface
    private interface AtCall<T> {
        T apply(int dirfd, byte[] name) throws IOException;
    }

    /** Runs {@code call} with the safely opened parent of {@code p} and its final name ({@code "."} for the root). */
    private <T> T withParent(RelPath p, String op, AtCall<T> call) throws IOException {
        byte[] name = Native.cstr(p.name());
        List<String> parent = p.parent();
        CachedDir dir = borrowDir(parent, op, p);
        try {
            return call.apply(dir.fd, name);
        } finally {
            returnDir(dir);
        }
    }

    /**
     * The last parent directory this thread resolved, kept open: layers list siblings together, so most entries
     * reuse it instead of resolving their parent again. It is only reused while {@link #generation} is unchanged;
     * every operation that removes or renames a name bumps it, because that could change what the cached path
     * resolves to. (Changes made by other processes are no more visible than to any fd held between two calls.)
     */
    private record CachedDir(List<String> comps, int fd, long generation) {
    }

    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();
    private final ThreadLocal<CachedDir> cachedDir = new ThreadLocal<>();
    private final java.util.Set<CachedDir> liveCached = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private CachedDir borrowDir(List<String> parent, String op, RelPath p) throws IOException {
        long gen = generation.get();
        CachedDir c = cachedDir.get();
        if (c != null) {
            // Taken out while in use, so a nested call (hardlink, rename) cannot close it under us. If close()
            // got to it first it is already closed: never close an fd number twice.
            cachedDir.remove();
            if (liveCached.remove(c)) {
                if (c.generation() == gen && c.comps().equals(parent) && !closed) {
                    return c;
                }
                Resolver.release(rootfd, c.fd());
            }
        }
        return new CachedDir(parent.isEmpty() ? List.of() : List.copyOf(parent), openDir(parent, op, p), gen);
    }

    private void returnDir(CachedDir dir) {
        if (dir.fd() == rootfd) {
            return;
        }
        CachedDir old = cachedDir.get();
        if (closed || old != null) {
            Resolver.release(rootfd, dir.fd());
            return;
        }
        cachedDir.set(dir);
        liveCached.add(dir);
        if (closed && liveCached.remove(dir)) {
            Resolver.release(rootfd, dir.fd());
        }
    }

    /** Called after every operation that removes or renames a name: cached parents may resolve differently now. */
    private void namesChanged() {
        generation.incrementAndGet();
    }

    private int openDir(List<String> comps, String op, RelPath p) throws IOException {
        if (closed) {
            throw new ClosedFileSystemException();
        }
        return Resolver.openDir(rootfd, comps, useOpenat2, op, p.display());
    }

    private static void refuseRoot(RelPath p, String op) {
        if (p.isRoot()) {
            throw new UnsafeLayerException("refusing to " + op + " the root itself (path '" + p.display()
                    + "'): the root of an image never changes type");
        }
    }

    private static boolean fchmodat2Supported() {
        Boolean s = fchmodat2Supported;
        if (s == null) {
            // Invalid flags: a kernel with fchmodat2 answers EINVAL; without it (or under seccomp) ENOSYS/EPERM.
            long r = Native.libc().sysFchmodat2(Native.SYS_FCHMODAT2, Native.AT_FDCWD, Native.DOT, 0, ~0x1100L);
            s = r != 0 && Native.errno() == Errno.EINVAL;
            fchmodat2Supported = s;
        }
        return s;
    }
}
