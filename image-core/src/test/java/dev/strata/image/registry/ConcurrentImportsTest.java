package dev.strata.image.registry;

import dev.strata.image.store.LayerRecord;
import dev.strata.image.store.Store;
import dev.strata.image.store.TestStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 17 point 7 without a registry: two JVMs importing the same and overlapping images from an OCI layout
 * ({@link Store#importImage}) while a third removes them and runs gc in a loop; six rounds, no operation fails.
 */
class ConcurrentImportsTest {
    @TempDir
    Path tmp;

    @Test
    void twoImportersAndAnRmGcLoopNeverFailSpuriously() throws Exception {
        ConcurrentStoreRounds.writeLayout(tmp);
        Path root = tmp.resolve("store");
        ConcurrentStoreRounds.Result result = assertTimeoutPreemptively(Duration.ofMinutes(10),
                () -> ConcurrentStoreRounds.runImports(tmp, root, "-", 6));
        System.out.println("ConcurrentImportsTest: " + result.failedRounds() + " of 6 rounds failed");
        assertThat(result.failures()).as(result.toString()).isEmpty();
        try (Store store = TestStores.openPlain(root)) {
            assertThat(store.layers().list()).noneMatch(LayerRecord::incomplete);
            assertThat(store.driver().layers()).hasSameSizeAs(store.layers().list());
        }
    }
}
