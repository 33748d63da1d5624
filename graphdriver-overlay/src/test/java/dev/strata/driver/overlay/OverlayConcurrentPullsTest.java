package dev.strata.driver.overlay;

import dev.strata.image.driver.Probe;
import dev.strata.image.registry.ConcurrentStoreRounds;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 17 point 7 on overlay, where every layer of a pull is prepared up front and applied by its download thread:
 * two pulling JVMs and an rm/gc loop in a third, six rounds, and no operation fails (before the fix 5 of 6 rounds
 * failed: {@code Resource deadlock avoided}, {@code no layer has that short id}, {@code .tmp-} directories removed
 * under a create).
 */
class OverlayConcurrentPullsTest {
    @TempDir
    Path tmp;

    @Test
    void twoPullersAndAnRmGcLoopNeverFailSpuriously() throws Exception {
        Probe probe = new OverlayDriverProvider().probe(tmp.resolve("probe"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        ConcurrentStoreRounds.runAndCheck(tmp, "overlay", 6,
                root -> Store.open(root, StoreOptions.defaults().withDriver("overlay")));
        assertThat(OverlayTestMounts.detachAllUnder(tmp)).as("mounts left").isZero();
    }
}
