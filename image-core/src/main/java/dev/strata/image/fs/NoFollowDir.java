package dev.strata.image.fs;

import dev.strata.image.UnsupportedPlatformException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A directory of ours held open by fd, whose entries are reached one name at a time and never through a symlink:
 * for trees whose shape we define (an OCI layout's {@code blobs/}, {@code ingest/}, {@code index.json}) that another
 * user may have written into. Unlike {@link RootedFs}, which follows symlinks as if chrooted, nothing here follows
 * one: directories are opened {@code O_DIRECTORY|O_NOFOLLOW}, files {@code O_NOFOLLOW|O_NONBLOCK} and checked with
 * fstat to be regular (so a FIFO cannot block an open or a read), new files {@code O_CREAT|O_EXCL|O_NOFOLLOW}, and
 * renames and unlinks act on names relative to the directory fds.
 *
 * <p>An entry of the wrong type (a symlink, a FIFO, a device, a directory where a file must be, a file with a second
 * hard link where we write) is refused with the exception the caller's {@code refusal} makes of a message naming the
 * entry relative to the first directory opened; children inherit it. Absent entries are
 * {@link NoSuchFileException}, other failures {@link RootedFsException}. Not thread-safe; close it.
 */
public final class NoFollowDir implements AutoCloseable {
    private static final int DIR_FLAGS = Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC;
    private static final int FILE_FLAGS = Native.O_NOFOLLOW | Native.O_NONBLOCK | Native.O_NOCTTY | Native.O_CLOEXEC;
    private static final int O_RDWR = 2;

    private final int fd;
    private final Path path;
    private final String display;
    private final Function<String, RuntimeException> refusal;
    private boolean closed;

    private NoFollowDir(int fd, Path path, String display, Function<String, RuntimeException> refusal) {
        this.fd = fd;
        this.path = path;
        this.display = display;
        this.refusal = refusal;
    }

    /**
     * Opens the directory {@code dir} (its last component is not followed; the ones before it are, as in any path the
     * caller names). {@code refusal} turns a message such as {@code "blobs is a symbolic link"} into the exception
     * to throw for an entry of the wrong type.
     */
    public static NoFollowDir open(Path dir, Function<String, RuntimeException> refusal) throws IOException {
        Path abs = dir.toAbsolutePath();
        int fd = Native.libc().openat(Native.AT_FDCWD, Native.cstr(abs.toString()), DIR_FLAGS, 0);
        if (fd < 0) {
            int errno = Native.errno();
            if (errno == Errno.ELOOP || errno == Errno.ENOTDIR) {
                throw refusal.apply(abs + " is " + describe(abs) + ", not a directory");
            }
            throw Errno.exception(errno, "open", abs.toString());
        }
        return new NoFollowDir(fd, abs, "", refusal);
    }

    /** The directory's path, as opened; for messages and in-process lock keys. */
    public Path path() {
        return path;
    }

    /** The subdirectory {@code names[0]/names[1]/...}, each opened without following it; empty if one is absent. */
    public Optional<NoFollowDir> find(String... names) throws IOException {
        NoFollowDir here = this;
        for (String name : names) {
            NoFollowDir next;
            try {
                next = here.child(name);
            } catch (NoSuchFileException e) {
                next = null;
            } finally {
                if (here != this) {
                    here.close();
                }
            }
            if (next == null) {
                return Optional.empty();
            }
            here = next;
        }
        return Optional.of(here == this ? child(".") : here);
    }

    /** {@link #find} that first creates each missing directory with {@code mode} (filtered by the umask). */
    public NoFollowDir make(int mode, String... names) throws IOException {
        NoFollowDir here = this;
        for (String name : names) {
            NoFollowDir next;
            try {
                if (Native.libc().mkdirat(here.fd, Native.cstr(checkName(name)), mode & 07777) != 0
                        && Native.errno() != Errno.EEXIST) {
                    throw Errno.exception(Native.errno(), "mkdir", here.entry(name));
                }
                next = here.child(name);
            } finally {
                if (here != this) {
                    here.close();
                }
            }
            here = next;
        }
        return here == this ? child(".") : here;
    }

    private NoFollowDir child(String name) throws IOException {
        byte[] c = Native.cstr(name.equals(".") ? "." : checkName(name));
        int child = Native.libc().openat(fd, c, DIR_FLAGS, 0);
        if (child < 0) {
            int errno = Native.errno();
            if (errno == Errno.ELOOP || errno == Errno.ENOTDIR) {
                throw refusal.apply(entry(name) + " is " + typeOf(name) + ", not a directory");
            }
            throw Errno.exception(errno, "open", entry(name));
        }
        return new NoFollowDir(child, name.equals(".") ? path : path.resolve(name),
                name.equals(".") ? display : entry(name), refusal);
    }

    /** What {@code name} itself is (a symlink is reported as one), or empty if it does not exist. */
    public Optional<FileStat> stat(String name) throws IOException {
        try {
            return Optional.of(Statx.lstat(fd, Native.cstr(checkName(name)), "stat", entry(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** {@link #stat} of an entry that must be a regular file if it exists; anything else is refused. */
    public Optional<FileStat> statRegular(String name) throws IOException {
        Optional<FileStat> st = stat(name);
        if (st.isPresent() && !st.get().isRegularFile()) {
            throw refusal.apply(entry(name) + " is " + article(st.get().type()) + ", not a regular file");
        }
        return st;
    }

    /** An open regular file and what fstat said about it when it was opened. */
    public record Opened(InputStream stream, FileStat stat) {
    }

    /** Opens the regular file {@code name} for reading; a symlink, FIFO, device or directory is refused. */
    public Opened openRead(String name) throws IOException {
        int f = openRegular(name, Native.O_RDONLY, 0, false);
        try {
            return new Opened(new FdInputStream(f, entry(name)), Statx.lstat(f, Native.EMPTY, "fstat", entry(name)));
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(f);
            throw e;
        }
    }

    /**
     * A read-write channel on the regular file {@code name}, created with {@code mode} if absent. Refused when
     * {@code name} is not a regular file or has another hard link, so that writes cannot land in a file linked in
     * from elsewhere. The channel is opened through {@code /proc/self/fd/N} of the checked fd: the magic link names
     * exactly that inode, and a {@link FileChannel} is what file locks and positional I/O need.
     */
    public FileChannel openChannel(String name, int mode) throws IOException {
        return channel(name, Native.O_CREAT, mode);
    }

    /**
     * Opens (creating with {@code mode} if absent) the lock file {@code name}, checked as {@link #openChannel}
     * checks, for {@code flock(2)} locks through {@link LockFile}.
     */
    public LockFile openLock(String name, int mode) throws IOException {
        return LockFile.adopt(path.resolve(name), openRegular(name, O_RDWR | Native.O_CREAT, mode, true));
    }

    /** {@link #openChannel} of a new file: {@code O_EXCL}, EEXIST if anything has that name. */
    public FileChannel createChannel(String name, int mode) throws IOException {
        return channel(name, Native.O_CREAT | Native.O_EXCL, mode);
    }

    private FileChannel channel(String name, int create, int mode) throws IOException {
        int f = openRegular(name, O_RDWR | create, mode, true);
        try {
            return FileChannel.open(Path.of("/proc/self/fd/" + f), StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            if (!java.nio.file.Files.isDirectory(Path.of("/proc/self/fd"))) {
                throw new UnsupportedPlatformException("writing " + entry(name) + " needs /proc mounted", e);
            }
            throw e;
        } finally {
            Native.closeQuietly(f);
        }
    }

    /** Creates the new file {@code name} ({@code O_EXCL}: EEXIST if anything has that name) and syncs it. */
    public void writeNew(String name, byte[] content, int mode) throws IOException {
        int f = Native.libc().openat(fd, Native.cstr(checkName(name)), Native.O_WRONLY | Native.O_CREAT
                | Native.O_EXCL | FILE_FLAGS, mode & 07777);
        if (f < 0) {
            throw Errno.exception(Native.errno(), "create", entry(name));
        }
        try (FdOutputStream out = new FdOutputStream(f, entry(name))) {
            out.write(content);
            out.flush();
            if (Native.libc().fsync(f) != 0) {
                throw Errno.exception(Native.errno(), "fsync", entry(name));
            }
        }
    }

    /** Sets the mode of the regular file {@code name} (through an fd opened on it, so nothing else is changed). */
    public void chmod(String name, int mode) throws IOException {
        int f = openRegular(name, Native.O_RDONLY, 0, true);
        try {
            if (Native.libc().fchmod(f, mode & 07777) != 0) {
                throw Errno.exception(Native.errno(), "chmod", entry(name));
            }
        } finally {
            Native.closeQuietly(f);
        }
    }

    /** Renames {@code from} here to {@code toName} in {@code to} (replacing what is there as a name). */
    public void rename(String from, NoFollowDir to, String toName) throws IOException {
        if (Native.libc().renameat(fd, Native.cstr(checkName(from)), to.fd, Native.cstr(checkName(toName))) != 0) {
            throw Errno.exception(Native.errno(), "rename to " + to.entry(toName), entry(from));
        }
    }

    /** Removes the non-directory {@code name} (a symlink is removed, never followed); false if it was absent. */
    public boolean unlink(String name) throws IOException {
        if (Native.libc().unlinkat(fd, Native.cstr(checkName(name)), 0) != 0) {
            int errno = Native.errno();
            if (errno == Errno.ENOENT) {
                return false;
            }
            throw Errno.exception(errno, "unlink", entry(name));
        }
        return true;
    }

    /** The names in this directory, in directory order, without {@code .} and {@code ..}. */
    public List<String> list() throws IOException {
        // getdents reads from the fd's offset: a fresh fd each time, so a second list sees everything again.
        int f = Native.libc().openat(fd, Native.DOT, DIR_FLAGS, 0);
        if (f < 0) {
            throw Errno.exception(Native.errno(), "list", display.isEmpty() ? path.toString() : display);
        }
        try {
            return Dirents.read(f, display.isEmpty() ? path.toString() : display);
        } finally {
            Native.closeQuietly(f);
        }
    }

    /** Makes creates and renames in this directory durable. */
    public void fsync() throws IOException {
        if (Native.libc().fsync(fd) != 0) {
            throw Errno.exception(Native.errno(), "fsync", display.isEmpty() ? path.toString() : display);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.closeQuietly(fd);
        }
    }

    @Override
    public String toString() {
        return "NoFollowDir[" + path + "]";
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Opens {@code name} with {@code flags}, refusing anything but a regular file: looked at before the open (opening
     * a device can have side effects) and checked again on the fd (a swap in between).
     */
    private int openRegular(String name, int flags, int mode, boolean forWriting) throws IOException {
        byte[] c = Native.cstr(checkName(name));
        Optional<FileStat> before = statRegular(name);
        if (before.isEmpty() && (flags & Native.O_CREAT) == 0) {
            throw Errno.exception(Errno.ENOENT, "open", entry(name));
        }
        int f = Native.libc().openat(fd, c, flags | FILE_FLAGS, mode & 07777);
        if (f < 0) {
            int errno = Native.errno();
            if (errno == Errno.ELOOP) {
                throw refusal.apply(entry(name) + " is a symbolic link, not a regular file");
            }
            throw Errno.exception(errno, "open", entry(name));
        }
        try {
            FileStat st = Statx.lstat(f, Native.EMPTY, "fstat", entry(name));
            if (!st.isRegularFile()) {
                throw refusal.apply(entry(name) + " is " + article(st.type()) + ", not a regular file");
            }
            if (forWriting && st.nlink() > 1) {
                throw refusal.apply(entry(name) + " has " + st.nlink() + " hard links; refusing to write to a file "
                        + "linked in from elsewhere");
            }
            return f;
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(f);
            throw e;
        }
    }

    private String entry(String name) {
        return display.isEmpty() ? name : display + "/" + name;
    }

    private String typeOf(String name) {
        try {
            return stat(name).map(s -> article(s.type())).orElse("gone");
        } catch (IOException e) {
            return "not a directory";
        }
    }

    private static String describe(Path abs) {
        try {
            java.nio.file.attribute.BasicFileAttributes a = java.nio.file.Files.readAttributes(abs,
                    java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return a.isSymbolicLink() ? "a symbolic link" : a.isRegularFile() ? "a regular file" : "a special file";
        } catch (IOException e) {
            return "not a directory";
        }
    }

    private static String article(FileType type) {
        return switch (type) {
            case SYMLINK -> "a symbolic link";
            case FIFO -> "a FIFO";
            case DIRECTORY -> "a directory";
            case CHAR_DEVICE -> "a character device";
            case BLOCK_DEVICE -> "a block device";
            case SOCKET -> "a socket";
            case REGULAR -> "a regular file";
        };
    }

    /** One name of this directory: never empty, {@code .}, {@code ..} or with a slash. */
    private static String checkName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("not a single file name: '" + name + "'");
        }
        return name;
    }
}
