package dev.strata.image.content;

import dev.strata.image.FailedPreconditionException;

import java.io.IOException;
import java.io.InterruptedIOException;
import dev.strata.image.fs.LockFile;
import dev.strata.image.fs.NoFollowDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Exclusive locks on lock files that hold across threads and processes: {@code flock(2)} through {@link LockFile}
 * (fcntl locks would let the kernel fail a waiter with a false EDEADLK, see there). Every lock file is guarded first
 * by an in-process semaphore, which makes waiting interruptible and lets a thread that already holds a lock be told
 * so instead of waiting for itself; only the semaphore's holder opens the file and takes the OS lock. Lock files are
 * opened by name in a directory held open without following symlinks ({@link NoFollowDir}): a lock file planted as
 * a symlink or FIFO is refused, never created or opened elsewhere.
 */
final class FileLocks {
    private FileLocks() {
    }

    private static final class Slot {
        final Semaphore semaphore = new Semaphore(1);
        int users;
        volatile Thread owner;
    }

    private static final Map<Path, Slot> SLOTS = new ConcurrentHashMap<>();

    /** A held lock; {@link #close()} releases it. */
    static final class Held implements AutoCloseable {
        private final Path file;
        private final Slot slot;
        private final LockFile lock;
        private boolean released;

        private Held(Path file, Slot slot, LockFile lock) {
            this.file = file;
            this.slot = slot;
            this.lock = lock;
        }

        Path file() {
            return file;
        }

        @Override
        public synchronized void close() throws IOException {
            if (released) {
                return;
            }
            released = true;
            try {
                lock.close(); // releases the flock
            } finally {
                slot.owner = null;
                slot.semaphore.release();
                unuse(file, slot);
            }
        }
    }

    /** Blocks until this thread holds the lock on {@code dir/name} (created if absent). */
    static Held lock(NoFollowDir dir, String name) throws IOException {
        Path file = dir.path().resolve(name);
        Slot slot = use(file);
        if (slot.owner == Thread.currentThread()) {
            unuse(file, slot);
            // Waiting would deadlock: this thread already holds it (e.g. two writers for one digest in one thread).
            throw new FailedPreconditionException("lock " + file + " is already held by this thread");
        }
        try {
            slot.semaphore.acquire();
        } catch (InterruptedException e) {
            unuse(file, slot);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for lock " + file);
        }
        return osLock(dir, name, file, slot, true).orElseThrow();
    }

    /** The lock on {@code dir/name} if it is free right now, else empty. */
    static Optional<Held> tryLock(NoFollowDir dir, String name) throws IOException {
        Path file = dir.path().resolve(name);
        Slot slot = use(file);
        if (!slot.semaphore.tryAcquire()) {
            unuse(file, slot);
            return Optional.empty();
        }
        return osLock(dir, name, file, slot, false);
    }

    /** Called with the semaphore held; releases it on every path that does not return a lock. */
    private static Optional<Held> osLock(NoFollowDir dir, String name, Path file, Slot slot, boolean block)
            throws IOException {
        LockFile lock = null;
        try {
            lock = dir.openLock(name, 0600);
            boolean locked = true;
            if (block) {
                lock.lock(false);
            } else {
                locked = lock.tryLock(false);
            }
            if (!locked) {
                lock.close();
                slot.semaphore.release();
                unuse(file, slot);
                return Optional.empty();
            }
            slot.owner = Thread.currentThread();
            return Optional.of(new Held(file, slot, lock));
        } catch (IOException | RuntimeException e) {
            if (lock != null) {
                lock.close();
            }
            slot.semaphore.release();
            unuse(file, slot);
            throw e;
        }
    }

    private static Slot use(Path file) {
        return SLOTS.compute(file, (k, v) -> {
            Slot s = v == null ? new Slot() : v;
            s.users++;
            return s;
        });
    }

    private static void unuse(Path file, Slot slot) {
        SLOTS.compute(file, (k, v) -> {
            if (v != slot) {
                return v;
            }
            return --v.users == 0 ? null : v;
        });
    }
}
