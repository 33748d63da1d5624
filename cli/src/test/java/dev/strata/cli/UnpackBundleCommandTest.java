package dev.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.image.testing.BusyboxImage;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code image-tool unpack --bundle IMAGE DIR}: an OCI runtime bundle that the real runc runs with the image's command,
 * working directory, environment and user, whose exit code passes through, and whose rootfs is umoci's.
 */
class UnpackBundleCommandTest {
    @TempDir
    Path tmp;
    Path layout;
    String root;

    @BeforeEach
    void busyboxImage() throws IOException {
        layout = tmp.resolve("layout");
        OciImages.writeLayout(layout, "app", BusyboxImage.image(Map.of("User", "app", "WorkingDir", "/work",
                "Env", List.of("FOO=bar"), "Cmd", List.of("/bin/sh", "-c", "pwd; echo $FOO; id -u; exit 3"))));
        root = tmp.resolve("store").toString();
    }

    @Test
    void runcRunsTheBundleOfALayoutImage() throws IOException {
        Path bundle = tmp.resolve("bundle");
        CliRun r = CliRun.of("unpack", "--bundle", "oci:" + layout + ":app", bundle.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertRuncRuns(bundle);
    }

    @Test
    void runcRunsTheBundleOfAStoredImage() throws IOException {
        CliRun imported = CliRun.of("--root", root, "--driver", "vfs", "import", "oci:" + layout + ":app", "app");
        assertThat(imported.code()).as(imported.err()).isZero();
        Path bundle = Files.createDirectories(tmp.resolve("empty-bundle"));
        CliRun r = CliRun.of("--root", root, "--driver", "vfs", "unpack", "--bundle", "app", bundle.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertRuncRuns(bundle);
    }

    @Test
    void theBundleIsUmocisRootfsAndItsConfigSaysTheSame() throws IOException {
        Capabilities.requireTool("umoci");
        Path ours = tmp.resolve("ours");
        CliRun r = CliRun.of("unpack", "--bundle", "oci:" + layout + ":app", ours.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Path theirs = tmp.resolve("theirs");
        Proc.ok(null, "umoci", "unpack", "--image", layout + ":app", theirs.toString());
        assertThat(TreeSnapshot.describe(ours.resolve("rootfs"), TreeSnapshot.Options.FULL))
                .isEqualTo(TreeSnapshot.describe(theirs.resolve("rootfs"), TreeSnapshot.Options.FULL));
        ObjectMapper json = new ObjectMapper();
        JsonNode a = json.readTree(ours.resolve("config.json").toFile());
        JsonNode b = json.readTree(theirs.resolve("config.json").toFile());
        for (String at : List.of("/process/args", "/process/cwd", "/process/user/uid", "/process/user/gid")) {
            assertThat(a.at(at)).as(at).isEqualTo(b.at(at));
        }
        // umoci's template has a terminal, and so TERM=xterm; ours has none
        List<String> umociEnv = new java.util.ArrayList<>();
        b.at("/process/env").forEach(e -> umociEnv.add(e.textValue()));
        umociEnv.remove("TERM=xterm");
        List<String> ourEnv = new java.util.ArrayList<>();
        a.at("/process/env").forEach(e -> ourEnv.add(e.textValue()));
        assertThat(ourEnv).as("env").containsExactlyInAnyOrderElementsOf(umociEnv);
    }

    @Test
    void aTargetThatHoldsSomethingIsRefusedAndLeftAlone() throws IOException {
        Path bundle = Files.createDirectories(tmp.resolve("full"));
        Files.writeString(bundle.resolve("keep"), "mine");
        CliRun r = CliRun.of("unpack", "--bundle", "oci:" + layout + ":app", bundle.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.PRECONDITION);
        try (var names = Files.list(bundle)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactly("keep");
        }
        CliRun missing = CliRun.of("unpack", "--bundle", "oci:" + layout + ":nope", tmp.resolve("b2").toString());
        assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(tmp.resolve("b2")).doesNotExist();
    }

    @Test
    void withoutBundleTheTargetIsTheRootfsAsBefore() throws IOException {
        Path target = tmp.resolve("plain");
        CliRun r = CliRun.of("unpack", "oci:" + layout + ":app", target.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(target.resolve("bin/busybox")).isRegularFile();
        assertThat(target.resolve("config.json")).doesNotExist();
    }

    private void assertRuncRuns(Path bundle) throws IOException {
        assertThat(bundle.resolve("rootfs/bin/busybox")).isRegularFile();
        JsonNode spec = new ObjectMapper().readTree(bundle.resolve("config.json").toFile());
        assertThat(spec.at("/root/path").textValue()).isEqualTo("rootfs");
        Capabilities.requireRoot();
        Capabilities.requireTool("runc");
        String state = tmp.resolve("runc-state").toString();
        Proc.Result run = Proc.run(null, "runc", "--root", state, "run", "--bundle", bundle.toString(),
                "strata-cli-test-" + ProcessHandle.current().pid());
        assertThat(run.exitCode()).as(run.stderr()).isEqualTo(3);
        assertThat(run.stdout()).isEqualTo("/work\nbar\n1000\n");
        assertThat(Proc.ok(null, "runc", "--root", state, "list", "-q")).isBlank();
    }
}
