package dev.strata.image.registry;

import dev.strata.image.store.TestStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * Issue 17 point 7, driver-independent (the plain-directory test driver): two pulling JVMs and a JVM removing the
 * images and collecting garbage in a loop never fail (no EDEADLK, no "layer … does not exist"), and the store is
 * consistent afterwards. The vfs and overlay variants live in their driver modules.
 */
class ConcurrentPullsTest {
    @TempDir
    Path tmp;

    @Test
    void twoPullersAndAnRmGcLoopNeverFailSpuriously() {
        ConcurrentStoreRounds.runAndCheck(tmp, "-", 6, TestStores::openPlain);
    }
}
