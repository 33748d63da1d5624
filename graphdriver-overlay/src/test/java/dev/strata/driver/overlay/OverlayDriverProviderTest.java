package dev.strata.driver.overlay;

import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.GraphDriverProvider;
import dev.strata.image.driver.GraphDrivers;
import dev.strata.image.driver.Probe;
import dev.strata.image.fs.Mounts;
import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The overlay provider: found by ServiceLoader and preferred on a fresh store, a probe without side effects, option
 * checking, and reopening after a crash (leftovers removed, stale mounts detached, lost short links rebuilt).
 */
class OverlayDriverProviderTest {
    @TempDir
    Path root;

    @AfterEach
    void detach() throws IOException {
        OverlayTestMounts.detachAllUnder(root);
    }

    private void requireOverlay() {
        Probe probe = new OverlayDriverProvider().probe(root.resolve("overlay"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
    }

    @Test
    void serviceLoaderFindsOverlayAndAFreshStoreGetsIt() throws IOException {
        requireOverlay();
        assertThat(GraphDrivers.providers()).extracting(GraphDriverProvider::name).contains("overlay");
        try (GraphDriver d = GraphDrivers.open(root, null, Map.of())) {
            assertThat(d).isInstanceOf(OverlayDriver.class);
            assertThat(d.home()).isEqualTo(root.resolve("overlay").toAbsolutePath());
        }
    }

    @Test
    void probeLeavesNothingBehindAndNamesTheMountApi() throws IOException {
        requireOverlay();
        Probe p = new OverlayDriverProvider().probe(root.resolve("overlay"));
        assertThat(p.reason()).contains("mount", "native diff");
        assertThat(root.resolve("overlay")).doesNotExist();
        try (Stream<Path> s = Files.list(root)) {
            assertThat(s).isEmpty();
        }
        assertThat(OverlayTestMounts.detachAllUnder(root)).isZero();
    }

    @Test
    void unknownOptionsAreRefused() {
        OverlayDriverProvider p = new OverlayDriverProvider();
        assertThatThrownBy(() -> p.open(root.resolve("overlay"), Map.of("size", "10G")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size");
        assertThatThrownBy(() -> p.open(root.resolve("overlay"), Map.of("mount_api", "fast")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("auto, new or legacy");
    }

    @Test
    void reopenCleansLeftoversDetachesStaleMountsAndRebuildsLinks() throws IOException {
        requireOverlay();
        Path home = root.resolve("overlay");
        OverlayDriver d = OverlayDriver.open(home);
        d.create("base", null);
        d.create("child", "base");
        Path merged = d.get("child");
        Files.writeString(merged.resolve("f"), "through the mount");
        // simulate a crash: the driver is dropped without put/close, the mount stays
        String shortId = Files.readString(home.resolve("layers/base/link")).trim();
        Files.delete(home.resolve("l").resolve(shortId));
        Files.createDirectories(home.resolve("layers/half.tmp-123/diff"));
        Files.createSymbolicLink(home.resolve("l/DANGLING"), Path.of("../layers/gone/diff"));
        assertThat(Mounts.mountPointsUnder(home)).containsExactly(merged);
        d.leaveUsers(); // the crashed process is gone: the next open is the only user and repairs
        try (OverlayDriver again = OverlayDriver.open(home)) {
            assertThat(Mounts.mountPointsUnder(home)).as("stale mount detached on open").isEmpty();
            assertThat(again.layers()).containsExactly("base", "child");
            assertThat(home.resolve("layers/half.tmp-123")).doesNotExist();
            assertThat(home.resolve("l/DANGLING")).doesNotExist();
            assertThat(Files.readSymbolicLink(home.resolve("l").resolve(shortId)))
                    .isEqualTo(Path.of("../layers/base/diff"));
            Path view = again.get("child");
            assertThat(Files.readString(view.resolve("f"))).isEqualTo("through the mount");
            again.put("child");
        }
    }
}
