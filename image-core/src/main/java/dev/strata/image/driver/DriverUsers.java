package dev.strata.image.driver;

import dev.strata.image.fs.LockFile;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The processes that have a driver's home open, as a shared {@code flock} on {@code <home>/users.lock} held from
 * open to close. A driver's open-time repairs (removing the temp directories of interrupted creates and removes,
 * unmounting leftovers, rebuilding links) would destroy the work in progress of another live process, so they run
 * only while no other process has the home open: then every leftover is a dead process's. Otherwise they wait for
 * a later open.
 */
public final class DriverUsers implements AutoCloseable {
    /** A repair to run while this process is the only user. */
    @FunctionalInterface
    public interface Repair {
        void run() throws IOException;
    }

    private final LockFile lock;

    private DriverUsers(LockFile lock) {
        this.lock = lock;
    }

    /** Joins the users of {@code home}, first running {@code repair} if there are no others. */
    public static DriverUsers join(Path home, Repair repair) throws IOException {
        LockFile lock = LockFile.open(home.resolve("users.lock"), true, 0600);
        try {
            if (lock.tryLock(false)) {
                repair.run();
            }
            lock.lock(true); // converts an exclusive hold; else waits only for another opener's repair
            return new DriverUsers(lock);
        } catch (IOException | RuntimeException | Error e) {
            lock.close();
            throw e;
        }
    }

    /** Leaves the users (idempotent). */
    @Override
    public void close() {
        lock.close();
    }
}
