package dev.strata.cli;

import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code image-tool push} against a real docker-registry, read back by skopeo and by image-tool pull. */
class PushCommandTest {
    private static final Platform AMD64 = new Platform("linux", "amd64");
    private static final Platform ARM64 = new Platform("linux", "arm64", "v8");

    @TempDir
    static Path shared;
    static TestRegistry registry;
    static OciImages.Image app;
    static OciImages.Image arm;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistry() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.start(shared.resolve("registry"));
        app = OciImages.image(AMD64, Map.of("hello.txt", "pushed by strata\n"));
        arm = OciImages.image(ARM64, Map.of("arch", "arm64\n"));
        OciImages.writeLayout(shared.resolve("single"), "app", app);
        OciImages.writeMultiPlatform(shared.resolve("multi"), "v1", List.of(app, arm), List.of(AMD64, ARM64));
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void pushFromLayoutIsReadBackBySkopeoAndSecondPushSendsNoBlobs() {
        String dest = registry.host() + "/pushed/app:1";
        CliRun push = run("push", "-q", "oci:" + shared.resolve("single") + ":app", dest);
        assertThat(push.code()).as(push.err()).isZero();
        assertThat(push.out().trim()).isEqualTo(app.manifest().digest().toString());
        assertThat(registry.inspect("pushed/app", "1")).contains(app.manifest().digest().toString());

        CliRun again = run("push", "--json", "oci:" + shared.resolve("single") + ":app", dest);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("\"blobsSent\" : 0").contains("\"blobsSkipped\" : 2");
    }

    /** Issue 12.9: push shows progress as pull does (plain lines off a terminal). */
    @Test
    void pushShowsProgressPerBlob() {
        CliRun push = run("push", "oci:" + shared.resolve("single") + ":app", registry.host() + "/progress/app:1");
        assertThat(push.code()).as(push.err()).isZero();
        String layer = app.manifest().layers().get(0).digest().shortHex();
        assertThat(push.err()).contains("Blob " + layer + " done").contains("Blob " + layer + " ")
                .doesNotContain("\r");
        CliRun again = run("push", "oci:" + shared.resolve("single") + ":app", registry.host() + "/progress/app:1");
        assertThat(again.err()).contains("Blob " + layer + " already exists");
    }

    @Test
    void pushOfAnIndexPushesEveryPlatformAndPullSelectsOne() throws Exception {
        String dest = registry.host() + "/pushed/multi:v1";
        CliRun push = run("push", "oci:" + shared.resolve("multi") + ":v1", dest);
        assertThat(push.code()).as(push.err()).isZero();
        String root = tmp.resolve("store").toString();
        CliRun pull = run("--root", root, "--driver", "vfs", "pull", "-q", "--platform", "linux/arm64/v8", dest);
        assertThat(pull.code()).as(pull.err()).isZero();
        assertThat(pull.out().trim()).isEqualTo(arm.manifest().digest().toString());
        Path rootfs = tmp.resolve("rootfs");
        assertThat(run("--root", root, "unpack", dest, rootfs.toString()).code()).isZero();
        assertThat(Files.readString(rootfs.resolve("arch"))).isEqualTo("arm64\n");
    }

    @Test
    void pushFromTheStoreAfterImport() {
        String root = tmp.resolve("store").toString();
        CliRun imp = run("--root", root, "--driver", "vfs", "import", "oci:" + shared.resolve("single") + ":app",
                "local/app:1");
        assertThat(imp.code()).as(imp.err()).isZero();
        String dest = registry.host() + "/fromstore/app:1";
        CliRun push = run("--root", root, "push", "-q", "local/app:1", dest);
        assertThat(push.code()).as(push.err()).isZero();
        assertThat(registry.inspect("fromstore/app", "1")).contains(app.manifest().digest().toString());
    }

    @Test
    void missingSourceExitsNotFound() {
        CliRun push = run("push", "oci:" + shared.resolve("single") + ":nope", registry.host() + "/x/y:1");
        assertThat(push.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(push.err()).contains("no image named 'nope'");
    }
}
