package dev.strata.driver.vfs;

import dev.strata.image.registry.ConcurrentStoreRounds;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * Issue 17 point 7 on vfs: two pulling JVMs and an rm/gc loop in a third, six rounds, and no operation fails
 * (before the fix every round failed: each open removed the other processes' {@code .tmp-} directories of creates
 * in progress).
 */
class VfsConcurrentPullsTest {
    @TempDir
    Path tmp;

    @Test
    void twoPullersAndAnRmGcLoopNeverFailSpuriously() {
        ConcurrentStoreRounds.runAndCheck(tmp, "vfs", 6,
                root -> Store.open(root, StoreOptions.defaults().withDriver("vfs")));
    }
}
