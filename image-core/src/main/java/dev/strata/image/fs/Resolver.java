package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a directory under a root as if the process were chrooted there: every symlink met on the way, however it
 * was planted, is resolved with the root as {@code /}, {@code ..} stops at the root, and magic links (procfs
 * {@code /proc/PID/fd/N}, {@code /proc/PID/root}, ...) are refused with ELOOP. Two implementations with the same
 * results:
 *
 * <ul>
 *   <li>{@code openat2(root, path, O_PATH|O_DIRECTORY, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)} (Linux 5.6+): the
 *       kernel does the whole walk atomically with respect to the root.</li>
 *   <li>a component walk for older kernels or seccomp profiles that hide openat2: each component is opened with
 *       {@code openat(dir, name, O_PATH|O_NOFOLLOW)}, so the kernel never follows anything; a symlink is read with
 *       {@code readlinkat} and its target is spliced into the remaining components (absolute targets restart at
 *       the root). {@code ..} drops the last name of the physical path we came down (see {@link Position}),
 *       which is the physical parent and can never be above the root. At most 40 symlinks are followed (ELOOP),
 *       as in the kernel. Also used for paths longer than PATH_MAX, which openat2 refuses.</li>
 * </ul>
 * The returned fd is an O_PATH directory fd; an attacker who swaps a directory for a symlink after we opened it
 * cannot redirect it, since every later call is relative to that fd.
 */
final class Resolver {
    private static final Logger LOG = LoggerFactory.getLogger(Resolver.class);
    static final int MAX_SYMLINKS = 40;
    private static final int PATH_MAX = 4096;
    private static final int DIR_FLAGS = Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC;

    private static volatile Boolean openat2Supported;

    /** struct open_how {u64 flags; u64 mode; u64 resolve}; the same for every call, so one per thread and mode. */
    private static final ThreadLocal<ByteBuffer> HOW = ThreadLocal.withInitial(
            () -> openHow(Native.RESOLVE_IN_ROOT | Native.RESOLVE_NO_MAGICLINKS));
    private static final ThreadLocal<ByteBuffer> HOW_NO_SYMLINKS = ThreadLocal.withInitial(
            () -> openHow(Native.RESOLVE_IN_ROOT | Native.RESOLVE_NO_SYMLINKS));

    private static ByteBuffer openHow(long resolve) {
        ByteBuffer how = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder());
        how.putLong(0, DIR_FLAGS);
        how.putLong(8, 0);
        how.putLong(16, resolve);
        return how;
    }

    private Resolver() {}

    /** Whether this kernel (and seccomp profile) lets us use openat2 with RESOLVE_IN_ROOT; probed once. */
    static boolean openat2Supported(int rootfd) {
        Boolean s = openat2Supported;
        if (s == null) {
            try {
                int fd = openat2(rootfd, Native.DOT, HOW.get());
                if (fd >= 0) {
                    Native.closeQuietly(fd);
                    s = true;
                } else {
                    LOG.debug("openat2 unavailable ({}); using the component walk", Errno.name(-fd));
                    s = false;
                }
            } catch (RuntimeException e) {
                LOG.debug("openat2 unavailable; using the component walk", e);
                s = false;
            }
            openat2Supported = s;
        }
        return s;
    }

    /**
     * An O_PATH fd of the directory {@code comps} under the root (following symlinks within the root), or
     * {@code rootfd} itself when {@code comps} is empty: release it with {@link #release}.
     */
    static int openDir(int rootfd, List<String> comps, boolean useOpenat2, String op, String display)
            throws IOException {
        return openDir(rootfd, comps, useOpenat2, true, op, display);
    }

    /**
     * An O_PATH fd of the directory {@code comps} under {@code dirfd} without following any symlink at all: a
     * symlink on the way is ELOOP, a non-directory ENOTDIR ({@code openat2} with {@code RESOLVE_NO_SYMLINKS}, or
     * the walk refusing symlinks). For reading untrusted trees, where a symlink is data and never a way. Returns
     * {@code dirfd} itself when {@code comps} is empty: release it with {@link #release}.
     */
    static int openDirNoSymlinks(int dirfd, List<String> comps, boolean useOpenat2, String op, String display)
            throws IOException {
        return openDir(dirfd, comps, useOpenat2, false, op, display);
    }

    private static int openDir(int rootfd, List<String> comps, boolean useOpenat2, boolean followInRoot, String op,
                               String display) throws IOException {
        if (comps.isEmpty()) {
            return rootfd;
        }
        byte[] path = Native.cstr(String.join("/", comps));
        // openat2 takes at most PATH_MAX bytes; the walk has no such limit and gives the same answer.
        if (useOpenat2 && path.length <= PATH_MAX) {
            ByteBuffer how = followInRoot ? HOW.get() : HOW_NO_SYMLINKS.get();
            for (int attempt = 0; ; attempt++) {
                int fd = openat2(rootfd, path, how);
                if (fd >= 0) {
                    return fd;
                }
                // EAGAIN: a concurrent rename raced with ".."; the kernel asks us to retry.
                if ((-fd != Errno.EAGAIN && -fd != Errno.EINTR) || attempt >= 64) {
                    throw Errno.exception(-fd, op, display);
                }
            }
        }
        return walk(rootfd, comps, followInRoot, op, display);
    }

    static void release(int rootfd, int fd) {
        if (fd != rootfd) {
            Native.closeQuietly(fd);
        }
    }

    /** Returns the fd, or minus errno. */
    private static int openat2(int rootfd, byte[] path, ByteBuffer how) {
        long r = Native.libc().sysOpenat2(Native.SYS_OPENAT2, rootfd, path, how, 24);
        return r >= 0 ? (int) r : -Native.errno();
    }

    private static int walk(int rootfd, List<String> comps, boolean followSymlinks, String op, String display)
            throws IOException {
        LinuxLibc libc = Native.libc();
        Position pos = new Position(rootfd);
        Deque<String> todo = new ArrayDeque<>(comps);
        int hops = 0;
        try {
            while (!todo.isEmpty()) {
                String c = todo.pollFirst();
                if (c.isEmpty() || c.equals(".")) {
                    continue;
                }
                if (c.equals("..")) {
                    pos.up(op, display);
                    continue;
                }
                int fd = libc.openat(pos.fd(), Native.cstr(c), Native.O_PATH | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
                if (fd < 0) {
                    throw Errno.exception(Native.errno(), op, display);
                }
                int type;
                try {
                    type = Statx.mode(fd, op, display) & Native.S_IFMT;
                } catch (IOException e) {
                    Native.closeQuietly(fd);
                    throw e;
                }
                if (type == Native.S_IFDIR) {
                    pos.down(c, fd);
                    continue;
                }
                if (type != Native.S_IFLNK || !followSymlinks) {
                    Native.closeQuietly(fd);
                    throw Errno.exception(type == Native.S_IFLNK ? Errno.ELOOP : Errno.ENOTDIR, op, display);
                }
                String target;
                try {
                    if (++hops > MAX_SYMLINKS || isMagicLink(fd)) {
                        throw Errno.exception(Errno.ELOOP, op, display);
                    }
                    target = readlink(fd, Native.EMPTY, op, display);
                } finally {
                    Native.closeQuietly(fd);
                }
                if (target.isEmpty()) {
                    throw Errno.exception(Errno.ENOENT, op, display);
                }
                if (target.startsWith("/")) {
                    pos.toRoot();
                }
                String[] parts = target.split("/");
                for (int i = parts.length - 1; i >= 0; i--) {
                    todo.addFirst(parts[i]);
                }
            }
            return pos.take(op, display);
        } finally {
            pos.close();
        }
    }

    /**
     * Where the walk is: the names of the directories from the root down (the physical path, so {@code ..} is
     * just dropping the last name) and O_PATH fds for at most the innermost {@link #KEEP_FDS} of them, so that a
     * maliciously deep tree cannot exhaust the fd table. Going up past the kept fds re-opens the chain from the
     * root by name, each step with O_NOFOLLOW|O_DIRECTORY: if a directory on it was swapped for a symlink
     * meanwhile, that fails instead of following it.
     */
    private static final class Position {
        static final int KEEP_FDS = 32;
        private final int rootfd;
        private final List<String> names = new java.util.ArrayList<>();
        private final Deque<Integer> fds = new ArrayDeque<>(); // innermost first; the last fds.size() names

        Position(int rootfd) {
            this.rootfd = rootfd;
        }

        int fd() {
            return names.isEmpty() ? rootfd : fds.peek();
        }

        void down(String name, int fd) {
            names.add(name);
            fds.push(fd);
            if (fds.size() > KEEP_FDS) {
                Native.closeQuietly(fds.pollLast());
            }
        }

        void up(String op, String display) throws IOException {
            if (names.isEmpty()) {
                return; // ".." at the root stays at the root
            }
            names.remove(names.size() - 1);
            Native.closeQuietly(fds.pop());
            if (fds.isEmpty() && !names.isEmpty()) {
                reopen(op, display);
            }
        }

        void toRoot() {
            names.clear();
            while (!fds.isEmpty()) {
                Native.closeQuietly(fds.pop());
            }
        }

        private void reopen(String op, String display) throws IOException {
            int cur = rootfd;
            for (int i = 0; i < names.size(); i++) {
                int fd = Native.libc().openat(cur, Native.cstr(names.get(i)),
                        Native.O_PATH | Native.O_NOFOLLOW | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
                if (fd < 0) {
                    throw Errno.exception(Native.errno(), op + " (re-walking " + names.size() + " levels)", display);
                }
                fds.push(fd);
                if (fds.size() > KEEP_FDS) {
                    Native.closeQuietly(fds.pollLast());
                }
                cur = fd;
            }
        }

        /** The fd of where we are, owned by the caller from now on (a fresh one when that is the root). */
        int take(String op, String display) throws IOException {
            if (names.isEmpty()) {
                int fd = Native.libc().openat(rootfd, Native.DOT, DIR_FLAGS, 0);
                if (fd < 0) {
                    throw Errno.exception(Native.errno(), op, display);
                }
                return fd;
            }
            names.clear();
            return fds.pop();
        }

        void close() {
            while (!fds.isEmpty()) {
                Native.closeQuietly(fds.pop());
            }
        }
    }

    /**
     * Whether the symlink {@code fd} is a procfs magic link, which openat2 refuses under RESOLVE_NO_MAGICLINKS.
     * The walk itself never lets the kernel follow one, so this only keeps both resolvers' answers identical.
     * procfs' ordinary symlinks ({@code self -> PID}, {@code thread-self -> PID/task/TID}) are allowed.
     */
    private static boolean isMagicLink(int fd) throws IOException {
        ByteBuffer sfs = ByteBuffer.allocateDirect(128).order(ByteOrder.nativeOrder());
        if (Native.libc().fstatfs(fd, sfs) != 0 || sfs.getLong(0) != Native.PROC_SUPER_MAGIC) {
            return false;
        }
        String target = readlink(fd, Native.EMPTY, "readlink", "(procfs)");
        return !target.matches("[0-9]+(/task/[0-9]+)?");
    }

    /** The target of the symlink {@code name} in {@code dirfd} (empty name: the O_PATH symlink fd itself). */
    static String readlink(int dirfd, byte[] name, String op, String display) throws IOException {
        LinuxLibc libc = Native.libc();
        for (int size = 256; ; size *= 4) {
            byte[] buf = new byte[size];
            long n = libc.readlinkat(dirfd, name, buf, size);
            if (n < 0) {
                throw Errno.exception(Native.errno(), op, display);
            }
            if (n < size) {
                return FileNames.decode(buf, 0, (int) n);
            }
            if (size > 1 << 20) {
                throw Errno.exception(Errno.ERANGE, op, display);
            }
        }
    }
}
