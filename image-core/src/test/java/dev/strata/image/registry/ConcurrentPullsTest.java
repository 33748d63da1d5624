package dev.strata.image.registry;

import dev.strata.image.store.Store;
import dev.strata.image.store.TestStores;
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
 * Issue 17 point 7, driver-independent (the plain-directory test driver): two pulling JVMs and a JVM removing the
 * images and collecting garbage in a loop never fail (no EDEADLK, no "layer … does not exist"), and the store is
 * consistent afterwards. The vfs and overlay variants live in their driver modules.
 */
class ConcurrentPullsTest {
    static final int ROUNDS = 6;

    @TempDir
    Path tmp;

    @Test
    void twoPullersAndAnRmGcLoopNeverFailSpuriously() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        assertTimeoutPreemptively(Duration.ofMinutes(10), () -> {
            try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"))) {
                List<String> refs = ConcurrentStoreRounds.seed(tmp, registry);
                Path root = tmp.resolve("store");
                ConcurrentStoreRounds.Result result = ConcurrentStoreRounds.run(tmp, root, "-", refs, ROUNDS);
                assertThat(result.failures()).as(result.toString()).isEmpty();
                try (Store store = TestStores.openPlain(root)) {
                    ConcurrentStoreRounds.checkConsistent(store, refs);
                }
            }
        });
    }
}
