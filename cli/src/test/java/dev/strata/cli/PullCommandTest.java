package dev.strata.cli;

import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code image-tool pull} end to end against a real docker-registry: store, layout, -q, progress, exit codes. */
class PullCommandTest {
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
        app = OciImages.image(AMD64, Map.of("hello.txt", "hello from strata\n"));
        arm = OciImages.image(ARM64, Map.of("arch", "arm64\n"));
        OciImages.writeMultiPlatform(shared.resolve("multi"), "v1", List.of(app, arm), List.of(AMD64, ARM64));
        registry.seed(shared.resolve("multi"), "v1", "test/app", "v1", true);
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
    void quietPullPrintsOnlyTheDigestAndTheImageIsListed() {
        String root = tmp.resolve("store").toString();
        String ref = registry.host() + "/test/app:v1";
        CliRun pull = run("--root", root, "--driver", "vfs", "pull", "-q", "--platform", "linux/arm64/v8", ref);
        assertThat(pull.code()).as(pull.err()).isZero();
        assertThat(pull.out()).isEqualTo(arm.manifest().digest() + "\n");
        assertThat(pull.err()).isEmpty();

        CliRun images = run("--root", root, "images", "-q");
        assertThat(images.code()).as(images.err()).isZero();
        assertThat(images.out()).isEqualTo(ref + "\n");

        CliRun unpack = run("--root", root, "unpack", ref, tmp.resolve("rootfs").toString());
        assertThat(unpack.code()).as(unpack.err()).isZero();
        assertThat(tmp.resolve("rootfs/arch")).hasContent("arm64");
    }

    @Test
    void pullToLayoutReportsProgressOnStderrAndSkopeoReadsTheLayout() {
        Path layout = tmp.resolve("layout");
        CliRun pull = run("pull", "--json", "--tls-verify=false", "--jobs", "1", "--platform", "linux/amd64",
                "--dest", "oci:" + layout + ":app", registry.host() + "/test/app:v1");
        assertThat(pull.code()).as(pull.err()).isZero();
        assertThat(pull.out()).contains("\"manifest\" : \"" + app.manifest().digest() + "\"")
                .contains("\"downloaded\" : 1").contains("\"layers\" : 1"); // layers, not layers + config
        String layer = app.manifest().layers().get(0).digest().shortHex();
        assertThat(pull.err()).contains("Resolved " + registry.host() + "/test/app:v1 to " + app.manifest().digest())
                .contains("Blob " + layer + " done").doesNotContain("\r");

        String inspect = Proc.ok(null, "skopeo", "inspect", "oci:" + layout + ":app");
        assertThat(inspect).contains(app.manifest().digest().toString());

        CliRun again = run("pull", "--dest", "oci:" + layout + ":app", "--platform", "linux/amd64",
                registry.host() + "/test/app:v1");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("Blob " + layer + " already exists");
    }

    @Test
    void unknownPlatformExitsWithNotFound() {
        CliRun pull = run("--root", tmp.resolve("store").toString(), "--driver", "vfs", "pull", "--platform",
                "linux/s390x", registry.host() + "/test/app:v1");
        assertThat(pull.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(pull.err()).contains("linux/arm64").contains("linux/amd64");
    }

    @Test
    void missingRepositoryExitsWithNotFoundAndBadDestIsAUsageError() {
        CliRun missing = run("pull", "--dest", "oci:" + tmp.resolve("l"), registry.host() + "/test/nothing:v1");
        assertThat(missing.code()).as(missing.err()).isEqualTo(ExitCodes.NOT_FOUND);
        CliRun badDest = run("pull", "--dest", tmp.resolve("l").toString(), registry.host() + "/test/app:v1");
        assertThat(badDest.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badDest.err()).contains("--dest must be oci:DIR[:NAME]");
    }
}
