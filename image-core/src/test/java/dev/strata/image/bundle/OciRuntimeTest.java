package dev.strata.image.bundle;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.UnsupportedPlatformException;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.testing.BusyboxImage;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link OciRuntime} with the real runc, as root: exit codes pass through, no container is left behind. */
class OciRuntimeTest {
    @TempDir
    Path tmp;

    @Test
    void aMissingRuntimeIsAClearError() {
        assertThatThrownBy(() -> OciRuntime.find("no-such-runtime-" + ProcessHandle.current().pid()))
                .isInstanceOf(UnsupportedPlatformException.class).hasMessageContaining("not found on the PATH");
        assertThatThrownBy(() -> OciRuntime.find(tmp.resolve("runc").toString()))
                .isInstanceOf(UnsupportedPlatformException.class).hasMessageContaining("not an executable");
    }

    @Test
    void runsTheImagesCommandInItsWorkdirAsItsUserAndPassesTheExitCodeThrough() throws IOException {
        OciRuntime runc = runc();
        Path bundle = bundle(Map.of("User", "app", "WorkingDir", "/work", "Env", List.of("FOO=bar"),
                "Cmd", List.of("/bin/sh", "-c", "{ pwd; echo $FOO; id -u; id -g; id -G; } > /tmp/out; exit 3")));
        Files.setPosixFilePermissions(bundle.resolve("rootfs/tmp"), java.nio.file.attribute.PosixFilePermissions
                .fromString("rwxrwxrwx"));
        assertThat(runc.run(bundle, "strata-test-" + ProcessHandle.current().pid(), false)).isEqualTo(3);
        assertThat(Files.readString(bundle.resolve("rootfs/tmp/out"))).isEqualTo("/work\nbar\n1000\n1000\n1000 2000\n");
        assertThat(containers()).isEmpty();
    }

    @Test
    void argsReplaceTheCommandAndAFailedStartLeavesNoContainer() throws IOException {
        OciRuntime runc = runc();
        Path bundle = bundle(Map.of("Cmd", List.of("/bin/true")));
        RuntimeBundle.write(bundle, RuntimeBundleTest.config(Map.of("Cmd", List.of("/bin/true"))),
                BundleOptions.defaults().withArgs(List.of("/bin/sh", "-c", "exit 42")));
        String id = "strata-test-args-" + ProcessHandle.current().pid();
        assertThat(runc.run(bundle, id, false)).isEqualTo(42);

        RuntimeBundle.write(bundle, RuntimeBundleTest.config(Map.of()),
                BundleOptions.defaults().withArgs(List.of("/no/such/program")));
        assertThat(runc.run(bundle, id, false)).isNotZero();
        assertThat(containers()).isEmpty();
        runc.delete(id); // nothing to delete is no error
    }

    @Test
    void refusesWhatCannotRun() throws IOException {
        OciRuntime runc = runc();
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> runc.run(empty, "x", false)).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("config.json");
        assertThatThrownBy(() -> runc.run(empty, "--help", false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> runc.run(empty, "a/b", false)).isInstanceOf(IllegalArgumentException.class);
        // Under surefire stdin and stdout are pipes: runc would fail to open /dev/tty, so it is not started.
        assertThat(System.console()).isNull();
        Path bundle = bundle(Map.of("Cmd", List.of("/bin/true")));
        assertThatThrownBy(() -> runc.run(bundle, "tty", true)).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("not a terminal");
        assertThat(containers()).isEmpty();
    }

    private OciRuntime runc() {
        Capabilities.requireRoot();
        Capabilities.requireTool("runc");
        return OciRuntime.find().withStateRoot(tmp.resolve("runc-state"));
    }

    private List<String> containers() {
        String out = Proc.ok(null, "runc", "--root", tmp.resolve("runc-state").toString(), "list", "-q");
        return out.isBlank() ? List.of() : List.of(out.strip().split("\n"));
    }

    private Path bundle(Map<String, Object> runtime) throws IOException {
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs"));
        new LayerApplier().apply(new ByteArrayInputStream(BusyboxImage.layer()), rootfs);
        RuntimeBundle.write(bundle, RuntimeBundleTest.config(runtime), BundleOptions.defaults());
        return bundle;
    }
}
