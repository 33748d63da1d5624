package dev.strata.image.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Readers/writer lock on a store, across processes ({@code flock}-style lock on {@code <root>/store.lock}) and
 * across threads of this process (a {@link ReentrantReadWriteLock}; the JVM refuses overlapping file locks within
 * one process, so the file lock is taken by the first in-process reader and released by the last). One instance
 * per store root per JVM: {@link #forRoot}.
 */
final class StoreLock {
    private static final Map<Path, StoreLock> BY_ROOT = new ConcurrentHashMap<>();

    private final Path file;
    private final ReentrantReadWriteLock local = new ReentrantReadWriteLock();
    private FileChannel channel;
    private FileLock sharedFileLock;
    private int sharedHolders;

    private StoreLock(Path file) {
        this.file = file;
    }

    /** The lock of the store at {@code root} (an existing directory). */
    static StoreLock forRoot(Path root) throws IOException {
        return BY_ROOT.computeIfAbsent(root.toRealPath(), r -> new StoreLock(r.resolve("store.lock")));
    }

    /** A held lock; closing it releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    /**
     * Blocks until no writer holds the store, in any process. Inside this thread's exclusive hold it is just a nested
     * hold: the exclusive file lock already covers it (and a second file lock would overlap it).
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
                    sharedFileLock = channel().lock(0, Long.MAX_VALUE, true);
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
                        sharedFileLock.release();
                        sharedFileLock = null;
                    }
                }
            } finally {
                local.readLock().unlock();
            }
        };
    }

    /** Blocks until nobody else holds the store, in any process. Not reentrant with a held shared lock. */
    Held exclusive() throws IOException {
        local.writeLock().lock();
        if (local.getWriteHoldCount() > 1) {
            return () -> local.writeLock().unlock(); // nested in this thread: the file lock is already ours
        }
        FileLock lock;
        try {
            lock = channel().lock(0, Long.MAX_VALUE, false);
        } catch (IOException | RuntimeException e) {
            local.writeLock().unlock();
            throw e;
        }
        return () -> {
            try {
                lock.release();
            } finally {
                local.writeLock().unlock();
            }
        };
    }

    private synchronized FileChannel channel() throws IOException {
        if (channel == null || !channel.isOpen()) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return channel;
    }
}
