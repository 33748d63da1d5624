package dev.strata.cli;

import dev.strata.image.digest.Digest;
import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12 points 2 and 3: every command finds a stored image by every spelling pull accepts (implicit :latest,
 * docker://, NAME@DIGEST, an image-ID prefix as images prints it, refused when ambiguous), and inspect --raw writes
 * exactly the stored bytes.
 */
class NameResolutionTest {
    @TempDir
    static Path shared;
    static TestRegistry registry;
    static OciImages.Image app;
    static OciImages.Image other;
    static String root;

    @BeforeAll
    static void start() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.start(shared.resolve("registry"));
        app = OciImages.image(new Platform("linux", "amd64"), Map.of("hello", "names\n"));
        other = OciImages.image(new Platform("linux", "amd64"), Map.of("other", "x\n"));
        OciImages.writeLayout(shared.resolve("l1"), "app", app);
        OciImages.writeLayout(shared.resolve("l2"), "app", other);
        registry.seed(shared.resolve("l1"), "app", "team/app", "latest", false);
        registry.seed(shared.resolve("l1"), "app", "team/same", "latest", false);
        registry.seed(shared.resolve("l2"), "app", "team/other", "1", false);
        root = shared.resolve("store").toString();
        for (String ref : new String[] {"docker://" + registry.host() + "/team/app", registry.host() + "/team/same",
                registry.host() + "/team/other:1"}) {
            CliRun r = CliRun.of("--root", root, "--driver", "vfs", "pull", "-q", ref);
            assertThat(r.code()).as(r.err()).isZero();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private static CliRun run(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--root";
        all[1] = root;
        System.arraycopy(args, 0, all, 2, args.length);
        return CliRun.of(all);
    }

    @Test
    void everySpellingPullAcceptsFindsTheImage() {
        String full = registry.host() + "/team/app:latest";
        for (String spelling : new String[] {registry.host() + "/team/app", full,
                registry.host() + "/team/app@" + app.manifest().digest()}) {
            CliRun r = run("inspect", "--json", spelling);
            assertThat(r.code()).as(spelling + ": " + r.err()).isZero();
            assertThat(r.out()).as(spelling).contains(app.manifest().digest().toString())
                    .contains("\"name\" : \"" + full + "\"");
        }
        String id = other.manifest().config().digest().encoded().substring(0, 12);
        for (String spelling : new String[] {id, "sha256:" + id}) {
            CliRun r = run("inspect", "--json", spelling);
            assertThat(r.code()).as(spelling + ": " + r.err()).isZero();
            assertThat(r.out()).as(spelling).contains(other.manifest().digest().toString());
        }
    }

    @Test
    void anAmbiguousIdPrefixIsRefusedNamingTheImages() {
        String id = app.manifest().config().digest().encoded().substring(0, 12); // team/app and team/same share it
        CliRun r = run("inspect", id);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("ambiguous").contains("team/app").contains("team/same");
    }

    @Test
    void unpackMountUmountAndRmResolveToo(@TempDir Path tmp) {
        String spelling = "docker://" + registry.host() + "/team/other:1";
        assertThat(run("unpack", spelling, tmp.resolve("r").toString()).code()).isZero();
        CliRun mount = run("mount", "--json", registry.host() + "/team/other:1");
        assertThat(mount.code()).as(mount.err()).isZero();
        CliRun umount = run("umount", "--json", spelling);
        assertThat(umount.code()).as(umount.err()).isZero();
        assertThat(umount.out()).contains("\"name\" : \"" + registry.host() + "/team/other:1\"");
        assertThat(run("rm", other.manifest().config().digest().encoded().substring(0, 8)).code()).isZero();
        assertThat(run("inspect", registry.host() + "/team/other:1").code()).isEqualTo(3);
        assertThat(run("--driver", "vfs", "pull", "-q", registry.host() + "/team/other:1").code())
                .as("back for the other tests").isZero();
    }

    @Test
    void rawIsExactlyTheStoredBytes() {
        for (String what : new String[] {"manifest", "config"}) {
            PrintStream old = System.out;
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int code;
            synchronized (CliRun.class) {
                try {
                    System.setOut(new PrintStream(bytes, true));
                    code = ImageTool.execute("--root", root, "inspect", "--raw", what,
                            registry.host() + "/team/app");
                } finally {
                    System.setOut(old);
                }
            }
            assertThat(code).isZero();
            Digest expected = what.equals("manifest") ? app.manifest().digest() : app.manifest().config().digest();
            assertThat(Digest.sha256(bytes.toByteArray())).as(what).isEqualTo(expected);
        }
    }
}
