package dev.strata.image.content;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.fs.NoFollowDir;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Exclusive locks on lock files that hold across threads and processes. A {@link FileLock} only excludes other
 * processes (and a second channel in the same JVM throws, or on close drops the first channel's lock), so every
 * lock file is guarded first by an in-process semaphore; only its holder opens the file and takes the OS lock.
 * Lock files are opened by name in a directory held open without following symlinks ({@link NoFollowDir}): a lock
 * file planted as a symlink or FIFO is refused, never created or opened elsewhere.
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
        private final FileChannel channel;
        private final FileLock lock;
        private boolean released;

        private Held(Path file, Slot slot, FileChannel channel, FileLock lock) {
            this.file = file;
            this.slot = slot;
            this.channel = channel;
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
                if (lock.isValid()) {
                    lock.release();
                }
            } finally {
                try {
                    channel.close();
                } finally {
                    slot.owner = null;
                    slot.semaphore.release();
                    unuse(file, slot);
                }
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
        FileChannel channel = null;
        try {
            channel = dir.openChannel(name, 0644);
            FileLock lock = block ? channel.lock() : channel.tryLock();
            if (lock == null) {
                channel.close();
                slot.semaphore.release();
                unuse(file, slot);
                return Optional.empty();
            }
            slot.owner = Thread.currentThread();
            return Optional.of(new Held(file, slot, channel, lock));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
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
