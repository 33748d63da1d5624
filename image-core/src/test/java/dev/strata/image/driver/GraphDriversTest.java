package dev.strata.image.driver;

import dev.strata.image.NotFoundException;
import dev.strata.image.UnsupportedPlatformException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Driver choice: explicit name, existing state, then priority; errors name the reason or the known drivers. */
class GraphDriversTest {
    @TempDir
    Path root;

    /** A provider that only answers probes: choice never opens a driver. */
    private record Fixed(String name, int priority, Probe probe) implements GraphDriverProvider {
        @Override
        public Probe probe(Path home) {
            return probe;
        }

        @Override
        public GraphDriver open(Path home, Map<String, String> options) {
            throw new UnsupportedOperationException("not opened by these tests");
        }
    }

    private static final Fixed VFS = new Fixed("vfs", 0, Probe.supported("always"));
    private static final Fixed OVERLAY = new Fixed("overlay", 100, Probe.supported("kernel has overlay"));
    private static final Fixed BROKEN = new Fixed("zfs", 200, Probe.unsupported("no zfs pool at the store root"));

    @Test
    void highestPrioritySupportedWinsOnAFreshStore() throws IOException {
        assertThat(GraphDrivers.choose(root, null, List.of(VFS, OVERLAY, BROKEN)).name()).isEqualTo("overlay");
        assertThat(GraphDrivers.choose(root, null, List.of(VFS, BROKEN)).name()).isEqualTo("vfs");
    }

    @Test
    void driverWithStateInTheStoreIsKept() throws IOException {
        Files.createDirectories(root.resolve("vfs/dir"));
        Files.createDirectories(root.resolve("overlay")); // empty home: no state
        assertThat(GraphDrivers.choose(root, null, List.of(VFS, OVERLAY)).name()).isEqualTo("vfs");
    }

    @Test
    void explicitNameWinsOverPriority() throws IOException {
        assertThat(GraphDrivers.choose(root, "vfs", List.of(VFS, OVERLAY)).name()).isEqualTo("vfs");
        Files.createDirectories(root.resolve("vfs/dir"));
        Files.createDirectories(root.resolve("overlay/l"));
        assertThat(GraphDrivers.choose(root, "vfs", List.of(VFS, OVERLAY)).name())
                .as("both have state: the one named").isEqualTo("vfs");
    }

    /** Issue 12.7: opening a store with a driver other than the one holding its layers would lose them. */
    @Test
    void explicitNameOtherThanTheDriverWithStateIsRefusedNamingIt() throws IOException {
        Files.createDirectories(root.resolve("overlay/l"));
        assertThatThrownBy(() -> GraphDrivers.choose(root, "vfs", List.of(VFS, OVERLAY)))
                .isInstanceOf(dev.strata.image.FailedPreconditionException.class)
                .hasMessageContaining("'overlay' driver").hasMessageContaining("--driver overlay");
    }

    @Test
    void explicitUnsupportedNameFailsWithTheProbeReason() {
        assertThatThrownBy(() -> GraphDrivers.choose(root, "zfs", List.of(VFS, BROKEN)))
                .isInstanceOf(UnsupportedPlatformException.class)
                .hasMessageContaining("zfs").hasMessageContaining("no zfs pool at the store root");
    }

    @Test
    void unknownNameFailsListingTheKnownOnes() {
        assertThatThrownBy(() -> GraphDrivers.choose(root, "btrfs", List.of(VFS, OVERLAY)))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("btrfs").hasMessageContaining("overlay, vfs");
    }

    @Test
    void nothingSupportedFailsWithEveryReason() {
        assertThatThrownBy(() -> GraphDrivers.choose(root, null, List.of(BROKEN)))
                .isInstanceOf(UnsupportedPlatformException.class).hasMessageContaining("no zfs pool");
        assertThatThrownBy(() -> GraphDrivers.choose(root, null, List.of()))
                .isInstanceOf(UnsupportedPlatformException.class).hasMessageContaining("graphdriver-vfs");
    }

    @Test
    void stateOfAnUnsupportedDriverIsAnErrorNotASilentSwitch() throws IOException {
        Files.createDirectories(root.resolve("zfs/x"));
        assertThatThrownBy(() -> GraphDrivers.choose(root, null, List.of(VFS, BROKEN)))
                .isInstanceOf(UnsupportedPlatformException.class).hasMessageContaining("no zfs pool");
    }
}
