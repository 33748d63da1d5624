package dev.strata.driver.overlay;

import dev.strata.image.driver.Probe;
import dev.strata.image.registry.ConcurrentStoreRounds;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 17 point 7 on overlay, where every layer of a pull is prepared up front and applied by its download thread:
 * two pulling JVMs and an rm/gc loop in a third, six rounds, and no operation fails (before the fix most rounds
 * failed with {@code Resource deadlock avoided}).
 */
class OverlayConcurrentPullsTest {
    @TempDir
    Path tmp;

    @Test
    void twoPullersAndAnRmGcLoopNeverFailSpuriously() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        Probe probe = new OverlayDriverProvider().probe(tmp.resolve("probe"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        assertTimeoutPreemptively(Duration.ofMinutes(10), () -> {
            try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"))) {
                List<String> refs = ConcurrentStoreRounds.seed(tmp, registry);
                Path root = tmp.resolve("store");
                ConcurrentStoreRounds.Result result = ConcurrentStoreRounds.run(tmp, root, "overlay", refs, 6);
                assertThat(result.failures()).as(result.toString()).isEmpty();
                try (Store store = Store.open(root, StoreOptions.defaults().withDriver("overlay"))) {
                    ConcurrentStoreRounds.checkConsistent(store, refs);
                }
            }
        });
        assertThat(OverlayTestMounts.detachAllUnder(tmp)).as("mounts left").isZero();
    }
}
