package dev.strata.cli;

import dev.strata.image.testing.BusyboxImage;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code image-tool container run CONTAINER -- CMD...} with the real runc: the command runs as root in the
 * container's own read-write rootfs, its exit code is run's, what it writes is in the container's diff, the
 * mount points the runtime made for /proc, /dev and /sys are not, and the mount is released afterwards.
 */
class ContainerRunCommandTest {
    @TempDir
    Path tmp;
    String root;

    @BeforeEach
    void containerOnBusybox() throws IOException {
        Capabilities.requireRoot();
        Capabilities.requireTool("runc");
        Path layout = tmp.resolve("layout");
        OciImages.writeLayout(layout, "app", BusyboxImage.image(Map.of("WorkingDir", "/work")));
        root = tmp.resolve("store").toString();
        CliRun imported = CliRun.of("--root", root, "--driver", "vfs", "import", "oci:" + layout + ":app", "app");
        assertThat(imported.code()).as(imported.err()).isZero();
        CliRun created = CliRun.of("--root", root, "--driver", "vfs", "container", "create", "--name", "c", "app");
        assertThat(created.code()).as(created.err()).isZero();
    }

    @Test
    void theCommandChangesTheContainerAndItsExitCodeIsRuns() throws IOException {
        CliRun run = CliRun.of("--root", root, "--driver", "vfs", "container", "run", "c", "--",
                "/bin/sh", "-c", "echo built > /etc/x; id -u > /etc/uid; exit 5");
        assertThat(run.code()).as(run.err()).isEqualTo(5);

        CliRun diff = CliRun.of("--root", root, "--driver", "vfs", "container", "diff", "c");
        assertThat(diff.code()).as(diff.err()).isZero();
        List<String> lines = diff.out().lines().toList();
        assertThat(lines).contains("A /etc/x", "A /etc/uid")
                .noneMatch(l -> l.matches("A /(proc|dev|sys)(/.*)?"));

        CliRun ls = CliRun.of("--root", root, "--driver", "vfs", "container", "ls", "--json");
        assertThat(ls.out()).as("the run's mount is released").contains("\"mounts\" : 0");

        CliRun mount = CliRun.of("--root", root, "--driver", "vfs", "container", "mount", "c");
        assertThat(mount.code()).as(mount.err()).isZero();
        Path rootfs = Path.of(mount.out().strip());
        assertThat(Files.readString(rootfs.resolve("etc/x"), StandardCharsets.UTF_8)).isEqualTo("built\n");
        assertThat(Files.readString(rootfs.resolve("etc/uid"), StandardCharsets.UTF_8)).isEqualTo("0\n");
        assertThat(CliRun.of("--root", root, "--driver", "vfs", "container", "umount", "c").code()).isZero();
    }

    @Test
    void aMissingRuntimeIsAClearErrorAndLeavesTheContainerUnmounted() {
        CliRun run = CliRun.of("--root", root, "--driver", "vfs", "container", "run", "--runtime",
                tmp.resolve("no-such-runtime").toString(), "c", "--", "/bin/true");
        assertThat(run.code()).isNotZero();
        assertThat(run.err()).contains("no-such-runtime");
        CliRun ls = CliRun.of("--root", root, "--driver", "vfs", "container", "ls", "--json");
        assertThat(ls.out()).contains("\"mounts\" : 0");
    }
}
