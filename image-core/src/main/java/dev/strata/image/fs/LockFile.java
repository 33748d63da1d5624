package dev.strata.image.fs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole-file {@code flock(2)} lock on a lock file, shared or exclusive, held through an fd of its own. Strata's
 * locks between processes (the store lock, per-digest and index locks, leases) are all of this kind, and not the
 * fcntl record locks of {@link java.nio.channels.FileLock}: those belong to the process, so the kernel's deadlock
 * detector sees a cycle whenever two multi-threaded processes each hold one lock in one thread and wait for the
 * other's in another, and fails a waiter with {@code EDEADLK} though no thread waits for itself; and closing any
 * other channel on the file drops them. A flock lock belongs to its open file description: no deadlock detection,
 * two fds of one process exclude each other, and {@code /proc/locks} names the pid that took it (an OFD fcntl lock
 * shows -1 there).
 *
 * <p>Not thread-safe: one owner at a time.
 */
public final class LockFile implements AutoCloseable {
    private static final int O_RDWR = 2;
    private static final int LOCK_SH = 1;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;
    private static final int LOCK_UN = 8;
    private static final int EDEADLK = 35;
    private static final long FIRST_POLL_NANOS = 1_000_000;
    private static final long MAX_POLL_NANOS = 50_000_000;

    private final Path path;
    private int fd;

    private LockFile(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Opens {@code path} (never through a symlink as its last component), creating it with {@code mode} if absent
     * and {@code create}; no lock is taken yet.
     *
     * @throws java.nio.file.NoSuchFileException when it is absent and not to be created
     */
    public static LockFile open(Path path, boolean create, int mode) throws IOException {
        return open(path, O_RDWR | (create ? Native.O_CREAT : 0), mode);
    }

    /** Creates {@code path}, which must not exist, with {@code mode}, and opens it. */
    public static LockFile createNew(Path path, int mode) throws IOException {
        return open(path, O_RDWR | Native.O_CREAT | Native.O_EXCL, mode);
    }

    /** A lock on the open file {@code fd} (which the lock then owns and closes), named {@code path} in messages. */
    static LockFile adopt(Path path, int fd) {
        return new LockFile(path, fd);
    }

    private static LockFile open(Path path, int flags, int mode) throws IOException {
        int fd = Native.libc().openat(Native.AT_FDCWD, Native.cstr(path.toString()),
                flags | Native.O_NOFOLLOW | Native.O_CLOEXEC | Native.O_NOCTTY, mode);
        if (fd < 0) {
            throw Errno.exception(Native.errno(), "open lock file", path.toString());
        }
        return new LockFile(path, fd);
    }

    public Path path() {
        return path;
    }

    /**
     * Blocks until the lock is this fd's. On NFS the kernel emulates flock with fcntl locks, whose deadlock
     * detector can report a false {@code EDEADLK}: that is waited out and tried again, as containers/storage does.
     */
    public void lock(boolean shared) throws IOException {
        while (Native.libc().flock(fd(), shared ? LOCK_SH : LOCK_EX) != 0) {
            int errno = Native.errno();
            if (errno == EDEADLK) {
                pause(10);
            } else if (errno != Errno.EINTR) {
                throw Errno.exception(errno, "flock", path.toString());
            }
        }
    }

    private void pause(long millis) throws InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for lock " + path);
        }
    }

    /** Takes the lock if nobody else holds it in a conflicting mode right now. */
    public boolean tryLock(boolean shared) throws IOException {
        while (Native.libc().flock(fd(), (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
            int errno = Native.errno();
            if (errno == Errno.EAGAIN || errno == EDEADLK) {
                return false;
            }
            if (errno != Errno.EINTR) {
                throw Errno.exception(errno, "flock", path.toString());
            }
        }
        return true;
    }

    /**
     * Waits up to {@code timeout} for the lock (flock has no timed wait: tries again after 1 ms, doubling up to
     * 50 ms); false if it is still taken then.
     */
    public boolean lock(boolean shared, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long wait = FIRST_POLL_NANOS;
        while (!tryLock(shared)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            pause(Math.max(1, Math.min(wait, left) / 1_000_000));
            wait = Math.min(wait * 2, MAX_POLL_NANOS);
        }
        return true;
    }

    public void unlock() throws IOException {
        if (Native.libc().flock(fd(), LOCK_UN) != 0) {
            throw Errno.exception(Native.errno(), "flock(LOCK_UN)", path.toString());
        }
    }

    /** Closing releases the lock. */
    @Override
    public void close() {
        if (fd >= 0) {
            Native.closeQuietly(fd);
            fd = -1;
        }
    }

    private int fd() throws IOException {
        if (fd < 0) {
            throw new IOException("lock file " + path + " is closed");
        }
        return fd;
    }

    /**
     * Who holds flock locks on {@code path}, from {@code /proc/locks}: e.g. {@code pid 4242 (uid 1000: flock -s
     * store.lock sleep 1000) holds a READ lock}; "unknown" when none is listed (taken in another pid namespace,
     * or released meanwhile).
     */
    public static String holders(Path path) {
        try {
            long ino = (Long) Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS);
            long dev = (Long) Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            String device = String.format("%02x:%02x:%d", devMajor(dev), devMinor(dev), ino);
            List<String> found = new ArrayList<>();
            List<String> sameInode = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/locks"), StandardCharsets.UTF_8)) {
                String[] f = line.trim().split("\\s+");
                // "1: FLOCK  ADVISORY  WRITE 4242 fe:00:2146970 0 EOF"; waiters have "->" after the number
                if (f.length >= 6 && f[1].equals("FLOCK") && f[5].endsWith(":" + ino)) {
                    (f[5].equals(device) ? found : sameInode).add(describe(f[4], f[3]));
                }
            }
            if (found.isEmpty()) {
                found = sameInode; // st_dev and the lock's s_dev differ on some file systems (overlayfs, btrfs)
            }
            return found.isEmpty() ? "unknown (no holder is listed in /proc/locks)" : String.join(", ", found);
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String describe(String pid, String type) {
        String who = "pid " + pid;
        try {
            Path proc = Path.of("/proc", pid);
            int uid = (Integer) Files.getAttribute(proc, "unix:uid");
            String cmd = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim();
            if (cmd.length() > 120) {
                cmd = cmd.substring(0, 120) + "…";
            }
            who += " (uid " + uid + ": " + cmd + ")";
        } catch (IOException | RuntimeException e) {
            // gone meanwhile, or not visible here
        }
        return who + " holds a " + type + " lock";
    }

    /** glibc's gnu_dev_major / gnu_dev_minor. */
    private static long devMajor(long dev) {
        return ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & ~0xfffL);
    }

    private static long devMinor(long dev) {
        return (dev & 0xffL) | ((dev >>> 12) & ~0xffL);
    }
}
