package dev.strata.driver.vfs;

import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.GraphDriverProvider;
import dev.strata.image.driver.GraphDrivers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The VFS provider is found by ServiceLoader, chosen on a fresh store, and refuses options it does not know. */
class VfsDriverProviderTest {
    @TempDir
    Path root;

    @Test
    void serviceLoaderFindsVfsAndAFreshStoreGetsIt() throws IOException {
        assertThat(GraphDrivers.providers()).extracting(GraphDriverProvider::name).contains("vfs");
        try (GraphDriver d = GraphDrivers.open(root, null, Map.of())) {
            assertThat(d).isInstanceOf(VfsDriver.class);
            assertThat(d.home()).isEqualTo(root.resolve("vfs").toAbsolutePath());
        }
        try (GraphDriver d = GraphDrivers.open(root, "vfs", Map.of())) {
            assertThat(d.name()).isEqualTo("vfs");
        }
    }

    @Test
    void unknownOptionsAreRefused() {
        assertThatThrownBy(() -> new VfsDriverProvider().open(root.resolve("vfs"), Map.of("size", "10G")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size");
    }
}
