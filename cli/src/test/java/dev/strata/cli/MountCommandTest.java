package dev.strata.cli;

import dev.strata.driver.overlay.OverlayDriverProvider;
import dev.strata.image.content.ContentStore;
import dev.strata.image.fs.Mounts;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code image-tool mount}/{@code umount} on the overlay driver with real mounts: the view outlives the invocation
 * (and a child JVM), counts persist in the store, the last umount detaches, exit codes 3 and 8.
 */
class MountCommandTest {
    @TempDir
    Path tmp;
    String root;

    @BeforeEach
    void importImage() throws IOException {
        Capabilities.requireRoot();
        var probe = new OverlayDriverProvider().probe(tmp.resolve("probe"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        Path layout = tmp.resolve("layout");
        ContentStore content = ContentStore.open(layout);
        ImageManifest m = TestImages.write(content, List.of(
                new TarBuilder().dir("etc").file("etc/os", "base").file("etc/old", "old").end().bytes(),
                new TarBuilder().file("etc/.wh.old", "").file("etc/app", "app").end().bytes(),
                new TarBuilder().file("bin/tool", "v2").end().bytes()));
        content.tag("app", m.descriptor());
        root = tmp.resolve("store").toString();
        for (String name : List.of("app", "twin")) {
            CliRun imported = CliRun.of("--root", root, "--driver", "overlay", "import", "oci:" + layout + ":app",
                    name);
            assertThat(imported.code()).as(imported.err()).isZero();
        }
    }

    @AfterEach
    void detachLeftovers() throws IOException {
        for (Path mp : Mounts.mountPointsUnder(tmp)) {
            Mounts.unmount(mp, true);
        }
    }

    private CliRun run(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--root";
        all[1] = root;
        all[2] = "--driver";
        all[3] = "overlay";
        System.arraycopy(args, 0, all, 4, args.length);
        return CliRun.of(all);
    }

    private static boolean mounted(Path p) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals(p.toString()));
    }

    @Test
    void mountInOneInvocationUmountInAnother() throws IOException {
        CliRun mount = run("mount", "app");
        assertThat(mount.code()).as(mount.err()).isZero();
        Path path = Path.of(mount.out().trim());
        assertThat(mount.out()).isEqualTo(path + "\n");
        assertThat(mounted(path)).as("in mountinfo after the invocation ended").isTrue();
        assertThat(path.resolve("etc/os")).hasContent("base");
        assertThat(path.resolve("etc/app")).hasContent("app");
        assertThat(path.resolve("bin/tool")).hasContent("v2");
        assertThat(path.resolve("etc/old")).doesNotExist();
        assertThatThrownBy(() -> Files.writeString(path.resolve("etc/new"), "x")).isInstanceOf(IOException.class);

        CliRun list = run("mount");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).as("NAME PATH COUNT, as the README says").isEqualTo("app " + path + " 1\n");

        CliRun umount = run("umount", "app");
        assertThat(umount.code()).as(umount.err()).isZero();
        assertThat(mounted(path)).isFalse();
        assertThat(run("mount").out()).isEmpty();
    }

    @Test
    void mountTwiceUmountOnceStaysMounted() throws IOException {
        Path path = Path.of(run("mount", "app").out().trim());
        CliRun second = run("mount", "--json", "app");
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.out()).contains("\"name\" : \"app\"", "\"path\" : \"" + path + "\"", "\"count\" : 2",
                "\"layer\" : \"sha256:");

        CliRun first = run("umount", "--json", path.toString());
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("\"remaining\" : 1");
        assertThat(mounted(path)).isTrue();
        assertThat(path.resolve("etc/app")).hasContent("app");
        assertThat(run("mount", "--json").out()).contains("\"count\" : 1");
        assertThat(run("mount").out()).as("NAME PATH COUNT").endsWith(" 1\n");

        assertThat(run("umount", "app").code()).isZero();
        assertThat(mounted(path)).isFalse();
    }

    @Test
    void unknownIsNotFoundAndAnAmbiguousPathIsRefused() throws IOException {
        assertThat(run("umount", "nope").code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(run("umount", "/no/such/view").code()).isEqualTo(ExitCodes.NOT_FOUND);
        CliRun missing = run("mount", "nope");
        assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("nope");

        Path app = Path.of(run("mount", "app").out().trim());
        Path twin = Path.of(run("mount", "twin").out().trim());
        assertThat(twin).as("same top layer, one view").isEqualTo(app);
        CliRun ambiguous = run("umount", app.toString());
        assertThat(ambiguous.code()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(ambiguous.err()).contains("app", "twin");

        try (Store s = Store.open(Path.of(root), StoreOptions.defaults().withDriver("overlay"))) {
            assertThatThrownBy(() -> s.removeImage("app")).hasMessageContaining(app.toString());
        }
        assertThat(run("umount", "app").code()).isZero();
        assertThat(mounted(app)).as("twin still holds the view").isTrue();
        assertThat(run("umount", "twin").code()).isZero();
        assertThat(mounted(app)).isFalse();
    }

    @Test
    void aChildJvmsMountPersistsAfterItExits() throws IOException {
        Proc.Result child = Proc.run(null, System.getProperty("java.home") + "/bin/java", "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), ImageTool.class.getName(),
                "--root", root, "--driver", "overlay", "mount", "app");
        assertThat(child.exitCode()).as(child.stderr()).isZero();
        Path path = Path.of(child.stdout().trim());
        assertThat(mounted(path)).as("still mounted after the child JVM exited").isTrue();
        assertThat(path.resolve("etc/app")).hasContent("app");
        CliRun umount = run("umount", "app");
        assertThat(umount.code()).as(umount.err()).isZero();
        assertThat(mounted(path)).isFalse();
    }

    @Test
    void openForgetsViewsUnmountedBehindItsBackAndDetachesUnrecordedOnes() throws IOException {
        Path path = Path.of(run("mount", "app").out().trim());
        Mounts.unmount(path, false); // like a reboot or a manual umount
        assertThat(run("mount").out()).isEmpty();
        assertThat(run("umount", "app").code()).isEqualTo(ExitCodes.NOT_FOUND);

        Path stale;
        try (Store s = Store.open(Path.of(root), StoreOptions.defaults().withDriver("overlay"))) {
            String driverId = s.layers().get(s.topLayer("app").orElseThrow()).orElseThrow().driverId();
            stale = s.driver().mountView(driverId); // mounted, never recorded: what a crash in between leaves
        }
        assertThat(mounted(stale)).isTrue();
        assertThat(run("mount").code()).isZero();
        assertThat(mounted(stale)).as("detached by the next open").isFalse();
    }
}
