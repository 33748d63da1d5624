package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive delete relative to directory fds. Each subdirectory is entered with
 * {@code openat(O_DIRECTORY|O_NOFOLLOW)}, so a symlink (even one swapped in concurrently) is unlinked as a name and
 * never entered; nothing outside the starting directory can be reached. Iterative, so a maliciously deep tree costs
 * no Java stack, and holding fds for at most {@link #KEEP_FDS} levels, so it costs no more of the fd table.
 *
 * <p>Deep trees stay linear: a directory found {@link #KEEP_FDS} levels down is not entered but moved up
 * ({@code renameat} between two fds we hold, the last component never followed) into the directory being removed,
 * and emptied from there later. Its subtree is then at most {@link #KEEP_FDS} levels down again, so no level is
 * ever parked and nothing is re-walked: an 18,000-level chain costs about 18,000/{@link #KEEP_FDS} renames. Both
 * fds are inside the tree being removed, so the move cannot take anything out of it or bring anything in. Climbing
 * back up with {@code openat("..")} would not be safe: a directory moved away meanwhile would lead elsewhere.
 * Where the move fails (a mount point: EXDEV or EBUSY) we enter the directory instead; then outer levels are
 * parked (closed) and re-opened by name from the nearest open ancestor, again with O_NOFOLLOW, when we get back
 * to them.
 */
final class Remover {
    private static final int MAX_RETRIES = 16;
    static final int KEEP_FDS = 32;
    /** Names for directories moved up (unique in this process; a clash only replaces part of the doomed tree). */
    private static final java.util.concurrent.atomic.AtomicLong HOISTED = new java.util.concurrent.atomic.AtomicLong();

    /** A directory being emptied: its fd (-1 while parked), the names left, and its name in its parent. */
    private static final class Frame {
        int fd;
        final ArrayDeque<String> children;
        final String name;
        final String display;
        final int tries;

        Frame(int fd, ArrayDeque<String> children, String name, String display, int tries) {
            this.fd = fd;
            this.children = children;
            this.name = name;
            this.display = display;
            this.tries = tries;
        }
    }

    private Remover() {}

    /** Removes {@code name} in directory {@code dfd}; missing is fine. */
    static void remove(int dfd, String name, String display) throws IOException {
        List<Frame> stack = new ArrayList<>(); // outermost first; stack[i]'s parent is stack[i-1] (or dfd)
        try {
            Frame top = unlinkOrEnter(dfd, name, display, 0);
            if (top == null) {
                return;
            }
            push(stack, top);
            while (!stack.isEmpty()) {
                Frame f = stack.get(stack.size() - 1);
                if (f.fd < 0) {
                    f.fd = reopen(stack, dfd, stack.size() - 1);
                }
                String child = f.children.poll();
                if (child != null) {
                    if (stack.size() >= KEEP_FDS && unlinkOrHoist(f, child, stack.get(0))) {
                        continue;
                    }
                    Frame sub = unlinkOrEnter(f.fd, child, f.display + "/" + child, 0);
                    if (sub != null) {
                        push(stack, sub);
                    }
                    continue;
                }
                stack.remove(stack.size() - 1);
                Native.closeQuietly(f.fd);
                int parent = parentFd(stack, dfd);
                if (!removeEmptied(parent, f)) {
                    if (f.tries + 1 >= MAX_RETRIES) {
                        throw Errno.exception(Errno.ENOTEMPTY, "removeAll (kept changing)", f.display);
                    }
                    // something was added or swapped meanwhile: go round again
                    Frame again = unlinkOrEnter(parent, f.name, f.display, f.tries + 1);
                    if (again != null) {
                        push(stack, again);
                    }
                }
            }
        } finally {
            for (Frame f : stack) {
                Native.closeQuietly(f.fd);
            }
        }
    }

    /**
     * At the depth limit: unlinks {@code child} of {@code f} if it is no directory, or moves it into {@code top}
     * (the directory being removed) under a fresh name, queued there. False if neither worked: enter it instead.
     */
    private static boolean unlinkOrHoist(Frame f, String child, Frame top) throws IOException {
        LinuxLibc libc = Native.libc();
        byte[] cname = Native.cstr(child);
        if (libc.unlinkat(f.fd, cname, 0) == 0) {
            return true;
        }
        int errno = Native.errno();
        if (errno == Errno.ENOENT) {
            return true;
        }
        if (top.fd < 0 || errno != Errno.EISDIR && errno != Errno.EPERM) {
            return false;
        }
        String moved = ".strata-rm-" + Long.toHexString(HOISTED.incrementAndGet());
        if (libc.renameat(f.fd, cname, top.fd, Native.cstr(moved)) != 0) {
            return false;
        }
        top.children.add(moved);
        return true;
    }

    private static void push(List<Frame> stack, Frame f) {
        stack.add(f);
        int park = stack.size() - 1 - KEEP_FDS;
        if (park >= 0 && stack.get(park).fd >= 0) {
            Native.closeQuietly(stack.get(park).fd);
            stack.get(park).fd = -1;
        }
    }

    /** The fd of the directory holding the top frame, re-opened if it was parked. */
    private static int parentFd(List<Frame> stack, int dfd) throws IOException {
        if (stack.isEmpty()) {
            return dfd;
        }
        Frame p = stack.get(stack.size() - 1);
        if (p.fd < 0) {
            p.fd = reopen(stack, dfd, stack.size() - 1);
        }
        return p.fd;
    }

    /**
     * Re-opens stack[index] from its nearest open ancestor, by name, never following a symlink; the innermost
     * {@link #KEEP_FDS} levels on the way stay open, so climbing a deep tree re-walks once per KEEP_FDS levels.
     */
    private static int reopen(List<Frame> stack, int dfd, int index) throws IOException {
        int from = index - 1;
        while (from >= 0 && stack.get(from).fd < 0) {
            from--;
        }
        int cur = from < 0 ? dfd : stack.get(from).fd;
        for (int i = from + 1; i <= index; i++) {
            Frame f = stack.get(i);
            int fd = Native.libc().openat(cur, Native.cstr(f.name),
                    Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
            if (i - 1 > from && stack.get(i - 1).fd < 0) {
                Native.closeQuietly(cur); // an intermediate level we do not keep
            }
            if (fd < 0) {
                throw Errno.exception(Native.errno(), "removeAll (re-opening)", f.display);
            }
            if (i > index - KEEP_FDS) {
                f.fd = fd;
            }
            cur = fd;
        }
        return stack.get(index).fd;
    }

    /** Unlinks a non-directory (returns null), or opens a directory for emptying (returns its frame). */
    private static Frame unlinkOrEnter(int dfd, String name, String display, int tries) throws IOException {
        LinuxLibc libc = Native.libc();
        byte[] cname = Native.cstr(name);
        for (int attempt = tries; attempt < MAX_RETRIES; attempt++) {
            if (libc.unlinkat(dfd, cname, 0) == 0) {
                return null;
            }
            int errno = Native.errno();
            if (errno == Errno.ENOENT) {
                return null;
            }
            if (errno != Errno.EISDIR && errno != Errno.EPERM) {
                throw Errno.exception(errno, "removeAll", display);
            }
            int sub = libc.openat(dfd, cname, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW
                    | Native.O_CLOEXEC | Native.O_NONBLOCK, 0);
            if (sub >= 0) {
                try {
                    return new Frame(sub, new ArrayDeque<>(Dirents.read(sub, display)), name, display, attempt);
                } catch (IOException | RuntimeException e) {
                    Native.closeQuietly(sub);
                    throw e;
                }
            }
            int e = Native.errno();
            if (e == Errno.ENOENT) {
                return null;
            }
            if (errno == Errno.EPERM) {
                throw Errno.exception(Errno.EPERM, "removeAll", display); // not a directory: a real EPERM
            }
            if (e != Errno.ENOTDIR && e != Errno.ELOOP) {
                throw Errno.exception(e, "removeAll", display);
            }
            // was a directory, is now a non-directory (swapped meanwhile): unlink that instead
        }
        throw Errno.exception(Errno.ENOTEMPTY, "removeAll (kept changing)", display);
    }

    /** rmdir of an emptied directory; false when it must be emptied again. */
    private static boolean removeEmptied(int parentFd, Frame f) throws IOException {
        if (Native.libc().unlinkat(parentFd, Native.cstr(f.name), Native.AT_REMOVEDIR) == 0) {
            return true;
        }
        int e = Native.errno();
        if (e == Errno.ENOENT) {
            return true;
        }
        if (e != Errno.ENOTEMPTY && e != Errno.ENOTDIR) {
            throw Errno.exception(e, "removeAll", f.display);
        }
        return false;
    }
}
