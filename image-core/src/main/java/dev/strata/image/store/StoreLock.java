package dev.strata.image.store;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.fs.LockFile;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Readers/writer lock on a store, across processes ({@code flock(2)} on {@code <root>/store.lock}, mode 0600: see
 * {@link LockFile} for why not fcntl) and across threads of this process (a {@link ReentrantReadWriteLock}; the file
 * lock is taken by the first in-process reader and released by the last). One instance per store root per JVM:
 * {@link #forRoot}.
 *
 * <p>It is the middle of the lock order (docs/ARCHITECTURE.md, "Lock order"): a thread may hold a blob's lock when
 * it takes this one, and may take {@code index.json.lock} under it, never the other way round.
 */
final class StoreLock {
    static final String FILE = "store.lock";
    private static final Map<Path, StoreLock> BY_ROOT = new ConcurrentHashMap<>();

    private final Path file;
    private final ReentrantReadWriteLock local = new ReentrantReadWriteLock();
    private LockFile lockFile;
    private int sharedHolders;

    private StoreLock(Path file) {
        this.file = file;
    }

    /** The lock of the store at {@code root} (an existing directory). */
    static StoreLock forRoot(Path root) throws IOException {
        return BY_ROOT.computeIfAbsent(root.toRealPath(), r -> new StoreLock(r.resolve(FILE)));
    }

    /** A held lock; closing it releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    /**
     * Blocks until no writer holds the store, in any process. Inside this thread's exclusive hold it is just a nested
     * hold: the exclusive file lock already covers it.
     */
    Held shared() throws IOException {
        if (local.isWriteLockedByCurrentThread()) {
            local.readLock().lock();
            return () -> local.readLock().unlock();
        }
        local.readLock().lock();
        try {
            synchronized (this) {
                if (sharedHolders == 0) {
                    lockFile().lock(true);
                }
                sharedHolders++;
            }
        } catch (IOException | RuntimeException e) {
            local.readLock().unlock();
            throw e;
        }
        return () -> {
            try {
                synchronized (this) {
                    if (--sharedHolders == 0) {
                        lockFile.unlock();
                    }
                }
            } finally {
                local.readLock().unlock();
            }
        };
    }

    /** Blocks until nobody else holds the store, in any process. Not reentrant with a held shared lock. */
    Held exclusive() throws IOException {
        return exclusive(null);
    }

    /**
     * {@link #exclusive()}, waiting at most {@code timeout} (null: for ever).
     *
     * @throws FailedPreconditionException when the lock is still held by another after {@code timeout}; the message
     *                                     names the holders (pid, uid, command line) as {@code /proc/locks} lists them
     */
    Held exclusive(Duration timeout) throws IOException {
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        if (timeout == null) {
            local.writeLock().lock();
        } else {
            try {
                if (!local.writeLock().tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw timedOut(timeout, "another thread of this process (pid " + ProcessHandle.current().pid()
                            + ")");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for " + file);
            }
        }
        if (local.getWriteHoldCount() > 1) {
            return () -> local.writeLock().unlock(); // nested in this thread: the file lock is already ours
        }
        try {
            LockFile f = lockFile();
            if (timeout == null) {
                f.lock(false);
            } else if (!f.lock(false, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                throw timedOut(timeout, LockFile.holders(file));
            }
        } catch (IOException | RuntimeException e) {
            local.writeLock().unlock();
            throw e;
        }
        return () -> {
            try {
                lockFile.unlock();
            } finally {
                local.writeLock().unlock();
            }
        };
    }

    private FailedPreconditionException timedOut(Duration timeout, String holders) {
        return new FailedPreconditionException("the store lock " + file + " was not free within "
                + timeout.toMillis() / 1000.0 + " s (--lock-timeout / STRATA_LOCK_TIMEOUT): " + holders);
    }

    private synchronized LockFile lockFile() throws IOException {
        if (lockFile == null) {
            lockFile = LockFile.open(file, true, 0600);
        }
        return lockFile;
    }
}
