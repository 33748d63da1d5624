package dev.strata.cli;

import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TestRegistry;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12 point 1: an image whose layers are stored under other blobs (the same image re-encoded as zstd, pulled
 * after its gzip original: no layer blob is downloaded) and an image whose blobs gc removed still unpack and push
 * (the pushed image unpacks to the same tree; its recreated layers are new tar streams, so their DiffIDs are new).
 */
class StoredLayersTest {
    @TempDir
    static Path shared;
    static TestRegistry registry;
    static OciImages.Image app;
    static String gzipRef;
    static String zstdRef;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.start(shared.resolve("registry"));
        app = OciImages.image(new Platform("linux", "amd64"), Map.of("etc/motd", "stored layers\n", "bin/x", "y"));
        OciImages.writeLayout(shared.resolve("layout"), "app", app);
        registry.seed(shared.resolve("layout"), "app", "src/app", "gzip", false);
        gzipRef = registry.host() + "/src/app:gzip";
        zstdRef = registry.host() + "/src/app:zstd";
        CliRun reencode = CliRun.of("copy", "--dest-compress", "zstd", "docker://" + gzipRef, "docker://" + zstdRef);
        assertThat(reencode.code()).as(reencode.err()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void reencodedImageReusesStoredLayersAndStillUnpacksAndPushes() throws Exception {
        String root = tmp.resolve("store").toString();
        CliRun.ok("--root", root, "--driver", "vfs", "pull", "-q", gzipRef);
        CliRun second = CliRun.ok("--root", root, "--driver", "vfs", "pull", "--json", zstdRef);
        assertThat(second.out()).as("no layer blob downloaded").contains("\"downloaded\" : 0");
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        CliRun.ok("--root", root, "unpack", gzipRef, a.toString());
        CliRun.ok("--root", root, "unpack", zstdRef, b.toString());
        assertThat(TreeSnapshot.describe(b, TreeSnapshot.Options.NO_DIR_MTIMES))
                .isEqualTo(TreeSnapshot.describe(a, TreeSnapshot.Options.NO_DIR_MTIMES));
        assertThat(CliRun.ok("--root", root, "inspect", zstdRef).out()).contains("missingBlobs");

        String dest = registry.host() + "/pushed/app:1";
        CliRun push = CliRun.ok("--root", root, "push", zstdRef, "docker://" + dest);
        assertThat(push.err()).contains("written again").contains("new DiffIDs");
        String config = Proc.ok(null, "skopeo", "inspect", "--raw", "--config", "--tls-verify=false",
                "docker://" + dest);
        assertThat(config).as("the config names the recreated layers' DiffIDs, all else kept")
                .contains("\"architecture\":\"amd64\"").doesNotContain(app.manifest().layers().get(0).digest()
                        .toString());
        Path c = tmp.resolve("c");
        CliRun.ok("copy", "docker://" + dest, "oci:" + tmp.resolve("back") + ":t");
        CliRun.ok("unpack", "oci:" + tmp.resolve("back") + ":t", c.toString());
        assertThat(TreeSnapshot.describe(c, TreeSnapshot.Options.NO_DIR_MTIMES))
                .isEqualTo(TreeSnapshot.describe(a, TreeSnapshot.Options.NO_DIR_MTIMES));
    }

    @Test
    void afterGcRemovedTheBlobsTheImageStillUnpacksAndPushes() {
        String root = tmp.resolve("store").toString();
        CliRun.ok("--root", root, "--driver", "vfs", "pull", "-q", gzipRef);
        CliRun.ok("--root", root, "--driver", "vfs", "pull", "-q", zstdRef);
        CliRun.ok("--root", root, "rm", gzipRef);
        CliRun.ok("--root", root, "gc");
        assertThat(CliRun.ok("--root", root, "inspect", "--json", zstdRef).out()).contains("missingBlobs");
        CliRun.ok("--root", root, "unpack", zstdRef, tmp.resolve("r").toString());
        CliRun.ok("--root", root, "push", zstdRef, "docker://" + registry.host() + "/after-gc/app:1");
        CliRun.ok("copy", "docker://" + registry.host() + "/after-gc/app:1", "oci:" + tmp.resolve("l") + ":t");
    }
}
