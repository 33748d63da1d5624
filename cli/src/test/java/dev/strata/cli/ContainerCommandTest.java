package dev.strata.cli;

import dev.strata.driver.overlay.OverlayDriverProvider;
import dev.strata.image.content.ContentStore;
import dev.strata.image.fs.Mounts;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.RootedSnapshot;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code image-tool container create/ls/mount/umount/diff/rm} on both drivers (overlay with real mounts: fails in
 * CI without them): the mount outlives the invocation (and a child JVM), the diff's layer applied onto the image's
 * rootfs gives the container's view, and the exit codes of refusals.
 */
class ContainerCommandTest {
    @TempDir
    Path tmp;
    String root;
    String driver;

    void importImage(String driverName) throws IOException {
        driver = driverName;
        if (driverName.equals("overlay")) {
            Capabilities.requireRoot();
            var probe = new OverlayDriverProvider().probe(tmp.resolve("probe"));
            Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        }
        Path layout = tmp.resolve("layout");
        ContentStore content = ContentStore.open(layout);
        ImageManifest m = TestImages.write(content, List.of(
                new TarBuilder().dir("etc").file("etc/os", "base").file("etc/old", "old").end().bytes(),
                new TarBuilder().file("etc/app", "app").end().bytes()));
        content.tag("app", m.descriptor());
        root = tmp.resolve("store").toString();
        run("import", "oci:" + layout + ":app", "app").requireOk();
    }

    @AfterEach
    void detachLeftovers() throws IOException {
        for (Path mp : Mounts.mountPointsUnder(tmp)) {
            Mounts.unmount(mp, true);
        }
    }

    private Result run(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--root";
        all[1] = root;
        all[2] = "--driver";
        all[3] = driver;
        System.arraycopy(args, 0, all, 4, args.length);
        return new Result(CliRun.of(all), String.join(" ", args));
    }

    record Result(CliRun run, String what) {
        Result requireOk() {
            assertThat(run.code()).as("%s: %s", what, run.err()).isZero();
            return this;
        }

        String out() {
            return run.out();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vfs", "overlay"})
    void createMountWriteDiffUmountRemove(String driverName) throws IOException {
        importImage(driverName);
        String id = run("container", "create", "--name", "web", "app").requireOk().out().trim();
        assertThat(id).matches("[0-9a-f]{64}");
        assertThat(run("container", "ls").requireOk().out()).startsWith(id.substring(0, 12) + " web app ")
                .endsWith(" 0\n");
        assertThat(run("container", "ls", "--json").requireOk().out()).contains("\"id\" : \"" + id + "\"",
                "\"name\" : \"web\"", "\"image\" : \"app\"", "\"mounts\" : 0");

        // A child JVM mounts and exits: the path stays writable for this one.
        Proc.Result child = Proc.run(null, System.getProperty("java.home") + "/bin/java", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ImageTool.class.getName(), "--root", root,
                "--driver", driver, "container", "mount", id.substring(0, 8));
        assertThat(child.exitCode()).as(child.stderr()).isZero();
        Path rw = Path.of(child.stdout().trim());
        assertThat(rw.resolve("etc/app")).hasContent("app");
        Files.writeString(rw.resolve("etc/new"), "new");
        Files.writeString(rw.resolve("etc/os"), "changed");
        Files.delete(rw.resolve("etc/old"));

        assertThat(run("container", "diff", "web").requireOk().out())
                .isEqualTo("C /etc\nA /etc/new\nD /etc/old\nC /etc/os\n");
        Path layer = tmp.resolve("layer.tar.zst");
        Result diff = run("container", "diff", "-o", layer.toString(), "web").requireOk();
        assertThat(diff.run().err()).contains("wrote " + layer, "diffID sha256:");
        Path rootfs = tmp.resolve("rootfs");
        run("unpack", "app", rootfs.toString()).requireOk();
        try (InputStream in = Files.newInputStream(layer)) {
            new LayerApplier().apply(in, rootfs);
        }
        assertThat(tree(rootfs)).isEqualTo(tree(rw));

        Result rmMounted = run("container", "rm", "web");
        assertThat(rmMounted.run().code()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(rmMounted.run().err()).contains("web", "mounted");
        Result rmImage = run("rm", "app");
        assertThat(rmImage.run().code()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(rmImage.run().err()).contains("web");

        run("container", "umount", "web").requireOk();
        Result again = run("container", "umount", "web");
        assertThat(again.run().code()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(run("container", "rm", "web").requireOk().out()).isEqualTo(id + "\n");
        assertThat(run("container", "ls").requireOk().out()).isEmpty();
        run("rm", "app").requireOk();
    }

    @ParameterizedTest
    @ValueSource(strings = {"vfs", "overlay"})
    void refusalsHaveTheirExitCodes(String driverName) throws IOException {
        importImage(driverName);
        assertThat(run("container", "create", "nope").run().code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(run("container", "create", "--name", "a/b", "app").run().code()).isEqualTo(ExitCodes.USAGE);
        run("container", "create", "--name", "one", "app").requireOk();
        Result taken = run("container", "create", "--name", "one", "app");
        assertThat(taken.run().code()).as(taken.run().err()).isNotZero();
        assertThat(taken.run().err()).contains("one");
        assertThat(run("container", "mount", "zzz").run().code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(run("container", "diff", "zzz").run().code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(run("container").run().code()).isEqualTo(ExitCodes.USAGE);
        String rw = run("container", "mount", "one").requireOk().out().trim();
        run("container", "rm", "--force", "one").requireOk();
        assertThat(Mounts.mountPointsUnder(tmp)).doesNotContain(Path.of(rw));
        assertThat(run("container", "ls").requireOk().out()).isEmpty();
    }

    private static Map<String, String> tree(Path dir) throws IOException {
        Map<String, String> d = RootedSnapshot.describe(dir, false);
        d.remove(".");
        return d;
    }
}
