package dev.strata.cli;

import dev.strata.image.content.ContentStore;
import dev.strata.image.fs.FileType;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import dev.strata.image.testing.TestRegistry;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 17 points 2 and 10 and issue 12 point 7 through the CLI: layouts with planted symlinks or FIFOs, and read-only
 * commands on paths that are not layouts or stores. Each case checks the exit code, that nothing outside (or nothing
 * at all) was written, and that nothing hangs.
 */
class HostileLayoutCliTest {
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static Map<String, String> snapshot(Path dir) throws IOException {
        return TreeSnapshot.describe(dir, TreeSnapshot.Options.FULL);
    }

    @Test
    void inspectOfALayoutWhoseIndexJsonIsAFifoFailsFast() throws IOException {
        Path layout = tmp.resolve("layout");
        ContentStore content = ContentStore.open(layout);
        ImageManifest m = TestImages.write(content, List.of(new TarBuilder().file("a", "1").end().bytes()));
        content.tag("app", m.descriptor());
        Files.delete(layout.resolve("index.json"));
        try (RootedFs fs = RootedFs.open(layout)) {
            fs.mknod("index.json", FileType.FIFO, 0644, 0, 0);
        }

        CliRun r = assertTimeoutPreemptively(HANG_GUARD, () -> CliRun.of("inspect", "oci:" + layout + ":app"));

        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.INVALID_IMAGE);
        assertThat(r.err()).contains("index.json is a FIFO");
    }

    @ParameterizedTest(name = "pull --dest oci:DIR whose {0} is a symlink planted by another user")
    @ValueSource(strings = {"ingest", "blobs"})
    void pullIntoALayoutWithAPlantedSymlinkWritesNothingOutside(String entry) throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("canary"), "canary\n");
        Path layout = Files.createDirectories(tmp.resolve("shared/layout"));
        Files.createSymbolicLink(layout.resolve(entry), outside);
        Map<String, String> outsideBefore = snapshot(outside);
        OciImages.Image app = OciImages.image(new Platform("linux", "amd64"), Map.of("hello.txt", "hello\n"));
        OciImages.writeLayout(tmp.resolve("seed"), "v1", app);

        try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"))) {
            registry.seed(tmp.resolve("seed"), "v1", "test/app", "v1", false);
            CliRun pull = assertTimeoutPreemptively(HANG_GUARD, () -> CliRun.of("pull", "--platform", "linux/amd64",
                    "--dest", "oci:" + layout + ":app", registry.host() + "/test/app:v1"));

            assertThat(snapshot(outside)).as("outside the layout").isEqualTo(outsideBefore);
            assertThat(pull.code()).as(pull.err()).isEqualTo(ExitCodes.INVALID_IMAGE);
            assertThat(pull.err()).contains(entry + " is a symbolic link");
        }
    }

    @Test
    void imagesOnARootThatDoesNotExistListsNothingAndCreatesNothing() {
        Path root = tmp.resolve("nonexistent/x");

        CliRun r = CliRun.of("--root", root.toString(), "images", "-q");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(tmp.resolve("nonexistent")).doesNotExist();
    }

    @Test
    void readOnlyCommandsOnADirectoryThatIsNotAStoreSayNoStoreAndCreateNothing() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("not-a-store"));
        Files.writeString(root.resolve("notes.txt"), "mine\n");
        Map<String, String> before = snapshot(root);

        for (List<String> command : List.of(List.of("images"), List.of("inspect", "app"),
                List.of("unpack", "app", tmp.resolve("rootfs").toString()))) {
            String[] args = new String[command.size() + 2];
            args[0] = "--root";
            args[1] = root.toString();
            for (int i = 0; i < command.size(); i++) {
                args[i + 2] = command.get(i);
            }
            CliRun r = CliRun.of(args);
            assertThat(r.code()).as(command + ": " + r.err()).isEqualTo(ExitCodes.NOT_FOUND);
            assertThat(r.err()).as(String.valueOf(command)).contains("no store at " + root);
        }

        assertThat(snapshot(root)).isEqualTo(before);
        assertThat(tmp.resolve("rootfs")).doesNotExist();
    }

    @Test
    void inspectOnAMistypedRootIsNotFoundAndCreatesNothing() {
        Path root = tmp.resolve("mistyped");

        CliRun r = CliRun.of("--root", root.toString(), "inspect", "app");

        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(root).doesNotExist();
    }

    @Test
    void inspectUnpackAndImportOfADirectoryWithoutOciLayoutCreateNothingInIt() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("plain"));
        Files.writeString(dir.resolve("README"), "not a layout\n");
        Map<String, String> before = snapshot(dir);
        String root = tmp.resolve("store").toString();

        List<CliRun> runs = List.of(CliRun.of("inspect", "oci:" + dir),
                CliRun.of("unpack", "oci:" + dir, tmp.resolve("rootfs").toString()),
                CliRun.of("--root", root, "--driver", "vfs", "import", "oci:" + dir + ":app", "app"));

        for (CliRun r : runs) {
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.NOT_FOUND);
            assertThat(r.err()).contains("not an OCI layout: " + dir + " has no oci-layout file");
        }
        assertThat(snapshot(dir)).isEqualTo(before);
    }
}
