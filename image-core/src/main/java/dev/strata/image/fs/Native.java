package dev.strata.image.fs;

import dev.strata.image.UnsupportedPlatformException;
import java.util.Locale;
import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The loaded {@link LinuxLibc}, the kernel constants it needs, and small conversions. Constants that differ
 * between architectures (O_DIRECTORY, O_NOFOLLOW) are picked for the running one; everything else is the same on
 * x86_64 and aarch64 (both use the generic errno, AT_* and statx ABI).
 */
final class Native {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_NONBLOCK = 04000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;
    static final int O_DIRECTORY;
    static final int O_NOFOLLOW;

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_EMPTY_PATH = 0x1000;

    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_IN_ROOT = 0x10;

    /** Same number on every architecture: both were added after the syscall tables were unified. */
    static final long SYS_OPENAT2 = 437;
    static final long SYS_FCHMODAT2 = 452;
    /** The new mount API: also one number on every architecture (added in 5.2, after the unification). */
    static final long SYS_MOVE_MOUNT = 429;
    static final long SYS_FSOPEN = 430;
    static final long SYS_FSCONFIG = 431;
    static final long SYS_FSMOUNT = 432;

    static final long FSOPEN_CLOEXEC = 0x1;
    static final long FSCONFIG_SET_FLAG = 0;
    static final long FSCONFIG_SET_STRING = 1;
    static final long FSCONFIG_CMD_CREATE = 6;
    static final long FSMOUNT_CLOEXEC = 0x1;
    static final long MOVE_MOUNT_F_EMPTY_PATH = 0x4;
    static final int MNT_DETACH = 2;

    static final int SEEK_SET = 0;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    static final long FICLONE = 0x40049409L;
    static final int STATX_BASIC_STATS = 0x7ff;
    static final long PROC_SUPER_MAGIC = 0x9fa0;
    /** utimensat: leave this timestamp as it is. */
    static final long UTIME_OMIT = (1L << 30) - 2;

    static final int S_IFMT = 0170000;
    static final int S_IFSOCK = 0140000;
    static final int S_IFLNK = 0120000;
    static final int S_IFREG = 0100000;
    static final int S_IFBLK = 060000;
    static final int S_IFDIR = 040000;
    static final int S_IFCHR = 020000;
    static final int S_IFIFO = 010000;

    static final String ARCH;
    private static final String UNSUPPORTED;

    static {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            ARCH = arch;
            UNSUPPORTED = "RootedFs needs Linux, this is " + os;
            O_DIRECTORY = 0;
            O_NOFOLLOW = 0;
        } else if (arch.equals("amd64") || arch.equals("x86_64")) {
            ARCH = "x86_64";
            UNSUPPORTED = null;
            O_DIRECTORY = 0200000;
            O_NOFOLLOW = 0400000;
        } else if (arch.equals("aarch64") || arch.equals("arm64")) {
            ARCH = "aarch64";
            UNSUPPORTED = null;
            O_DIRECTORY = 040000;
            O_NOFOLLOW = 0100000;
        } else {
            ARCH = arch;
            UNSUPPORTED = "RootedFs supports Linux on x86_64 and aarch64, not " + arch;
            O_DIRECTORY = 0;
            O_NOFOLLOW = 0;
        }
    }

    private Native() {}

    /**
     * The libc calls {@link RootedFs} is built on, bound with jnr-ffi. Paths are passed as NUL-terminated UTF-8 byte
     * arrays built by {@link Native#cstr} so that no charset guess of the JVM ever touches a name from a layer.
     * Sizes are {@code long}: only 64-bit Linux (x86_64, aarch64) is supported. Every call returns -1 and leaves
     * errno for {@link Native#errno()} on failure.
     *
     * <p>Calls glibc has no wrapper for (openat2, fchmodat2) go through {@code syscall(2)}; the Java names
     * {@code sys*} are mapped onto the {@code syscall} symbol by {@link Native}. Their arguments are all {@code long}
     * because {@code syscall} reads every argument as a {@code long}.
     *
     * <p>Public only because jnr-ffi generates its implementation in another class loader; the enclosing class is
     * package-private, so nothing outside this package can name it.
     */
    public interface LinuxLibc {
        int openat(int dirfd, @In byte[] path, int flags, int mode);

        /** {@code syscall(SYS_openat2, dirfd, path, &how, sizeof how)}. */
        long sysOpenat2(long nr, long dirfd, @In byte[] path, @In ByteBuffer how, long size);

        /** {@code syscall(SYS_fchmodat2, dirfd, path, mode, flags)} (Linux 6.6+). */
        long sysFchmodat2(long nr, long dirfd, @In byte[] path, long mode, long flags);

        int close(int fd);

        int mkdirat(int dirfd, @In byte[] path, int mode);

        int symlinkat(@In byte[] target, int newdirfd, @In byte[] linkpath);

        long readlinkat(int dirfd, @In byte[] path, @Out byte[] buf, long size);

        int linkat(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

        int mknodat(int dirfd, @In byte[] path, int mode, long dev);

        int fchownat(int dirfd, @In byte[] path, int uid, int gid, int flags);

        int fchmodat(int dirfd, @In byte[] path, int mode, int flags);

        int fchmod(int fd, int mode);

        int fchown(int fd, int uid, int gid);

        /** {@code times} as for {@link #utimensat}. */
        int futimens(int fd, @In ByteBuffer times);

        int fsetxattr(int fd, @In byte[] name, @In byte[] value, long size, int flags);

        /** {@code times}: two {@code struct timespec {long sec; long nsec;}} = 32 bytes. */
        int utimensat(int dirfd, @In byte[] path, @In ByteBuffer times, int flags);

        int unlinkat(int dirfd, @In byte[] path, int flags);

        int renameat(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath);

        /** glibc 2.28+ wrapper; {@code struct statx} has one layout on every architecture (256 bytes). */
        int statx(int dirfd, @In byte[] path, int flags, int mask, @Out ByteBuffer statxbuf);

        /** {@code struct statfs}: {@code f_type} is the first 8 bytes on 64-bit Linux. */
        int fstatfs(int fd, @Out ByteBuffer buf);

        int lsetxattr(@In byte[] path, @In byte[] name, @In byte[] value, long size, int flags);

        int setxattr(@In byte[] path, @In byte[] name, @In byte[] value, long size, int flags);

        long lgetxattr(@In byte[] path, @In byte[] name, @Out byte[] value, long size);

        long getxattr(@In byte[] path, @In byte[] name, @Out byte[] value, long size);

        long llistxattr(@In byte[] path, @Out byte[] list, long size);

        long listxattr(@In byte[] path, @Out byte[] list, long size);

        int lremovexattr(@In byte[] path, @In byte[] name);

        int removexattr(@In byte[] path, @In byte[] name);

        long getdents64(int fd, @Out ByteBuffer dirp, long count);

        /** Into a direct buffer: jnr passes its address, so nothing is copied back when the list is empty. */
        long flistxattr(int fd, @Out ByteBuffer list, long size);

        long fgetxattr(int fd, @In byte[] name, @Out ByteBuffer value, long size);

        long lseek(int fd, long offset, int whence);

        long write(int fd, @In ByteBuffer buf, long count);

        long read(int fd, @Out ByteBuffer buf, long count);

        int ftruncate(int fd, long length);

        int fsync(int fd);

        /** Whole-file advisory lock of the open file description (used by {@link LockFile}). */
        int flock(int fd, int operation);

        /** {@code copy_file_range(fd_in, NULL, fd_out, NULL, len, 0)}: offsets are the fds' own. */
        long copy_file_range(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags);

        /** Used as {@code ioctl(dest, FICLONE, src)}. */
        int ioctl(int fd, long request, long arg);

        int getuid();

        int geteuid();

        int getegid();

        String strerror(int errnum);

        // ---- mounts (used by Mounts) ----

        int mount(@In byte[] source, @In byte[] target, @In byte[] fstype, long flags, @In byte[] data);

        int umount2(@In byte[] target, int flags);

        /** {@code syscall(SYS_fsopen, fsname, flags)} (Linux 5.2+): a file system context fd. */
        long sysFsopen(long nr, @In byte[] fsname, long flags);

        /** {@code syscall(SYS_fsconfig, fd, cmd, key, value, aux)}; key/value may be null. */
        long sysFsconfig(long nr, long fd, long cmd, @In byte[] key, @In byte[] value, long aux);

        /** {@code syscall(SYS_fsmount, fsfd, flags, attr_flags)}: a detached mount fd. */
        long sysFsmount(long nr, long fsfd, long flags, long attrFlags);

        /** {@code syscall(SYS_move_mount, from_dfd, from_path, to_dfd, to_path, flags)}. */
        long sysMoveMount(long nr, long fromDfd, @In byte[] fromPath, long toDfd, @In byte[] toPath, long flags);
    }

    /** Loaded on first use so that an unsupported host gets a clear exception instead of a link error. */
    private static final class Holder {
        static final LinuxLibc LIBC = LibraryLoader.create(LinuxLibc.class)
                .map("sysOpenat2", "syscall")
                .map("sysFchmodat2", "syscall")
                .map("sysFsopen", "syscall")
                .map("sysFsconfig", "syscall")
                .map("sysFsmount", "syscall")
                .map("sysMoveMount", "syscall")
                .load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
    }

    static LinuxLibc libc() {
        if (UNSUPPORTED != null) {
            throw new UnsupportedPlatformException(UNSUPPORTED);
        }
        return Holder.LIBC;
    }

    /** errno of the last failed call on this thread; read it right after the call. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }

    static String strerror(int errno) {
        try {
            return Holder.LIBC.strerror(errno);
        } catch (RuntimeException e) {
            return "errno " + errno;
        }
    }

    /**
     * A NUL-terminated copy of the name bytes of {@code s} ({@link FileNames#encode}: UTF-8, escaped non-UTF-8
     * bytes written back as they were); a NUL inside would silently cut the name, so it is refused.
     */
    static byte[] cstr(String s) {
        byte[] bytes = FileNames.encode(s);
        byte[] c = new byte[bytes.length + 1];
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new IllegalArgumentException("path contains a NUL byte: " + FileNames.display(s));
            }
            c[i] = bytes[i];
        }
        return c;
    }

    static final byte[] EMPTY = {0};
    static final byte[] DOT = {'.', 0};

    /** glibc's makedev: the 64-bit dev_t encoding of (major, minor). */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    static void closeQuietly(int fd) {
        if (fd >= 0) {
            Holder.LIBC.close(fd);
        }
    }
}
