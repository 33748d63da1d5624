package dev.strata.cli;

import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code image-tool copy}, {@code save} and {@code load} across every transport, against a real docker-registry
 * (with its access log read to count uploads), with skopeo and umoci as independent readers and writers.
 */
class CopyCommandTest {
    private static final Platform AMD64 = new Platform("linux", "amd64");
    private static final Platform ARM64 = new Platform("linux", "arm64", "v8");

    @TempDir
    static Path shared;
    static TestRegistry registry;
    static OciImages.Image app;
    static OciImages.Image arm;
    static String appRef;
    static String multiRef;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistry() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.startWithAccessLog(shared.resolve("registry"));
        app = OciImages.image(AMD64, Map.of("etc/motd", "copied by strata\n", "bin/tool", "#!/bin/sh\n"));
        arm = OciImages.image(ARM64, Map.of("arch", "arm64\n"));
        OciImages.writeLayout(shared.resolve("single"), "app", app);
        OciImages.writeMultiPlatform(shared.resolve("multi"), "v1", List.of(app, arm), List.of(AMD64, ARM64));
        registry.seed(shared.resolve("single"), "app", "src/app", "1", false);
        registry.seed(shared.resolve("multi"), "v1", "src/multi", "v1", true);
        appRef = registry.host() + "/src/app:1";
        multiRef = registry.host() + "/src/multi:v1";
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private static String skopeo(String... args) {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "skopeo";
        cmd[1] = "--insecure-policy";
        System.arraycopy(args, 0, cmd, 2, args.length);
        return Proc.ok(null, cmd);
    }

    /**
     * registry → oci: → oci-archive: → docker-archive: → store → registry. Every leg keeps the manifest digest
     * except the docker-archive one, which holds no manifest (uncompressed layers, a manifest made on read): there
     * the manifest digest changes and the config bytes, and with them the DiffIDs, do not.
     */
    @Test
    void roundTripThroughEveryTransportKeepsWhatEachFormatKeeps() throws Exception {
        String original = app.manifest().digest().toString();
        String root = tmp.resolve("store").toString();
        String layout = "oci:" + tmp.resolve("layout") + ":app";
        String ociArchive = "oci-archive:" + tmp.resolve("app-oci.tar") + ":app";
        Path dockerFile = tmp.resolve("app-docker.tar");

        assertThat(CliRun.ok("copy", "-q", "docker://" + appRef, layout).out().trim()).isEqualTo(original);
        assertThat(CliRun.ok("copy", "-q", layout, ociArchive).out().trim()).isEqualTo(original);
        assertThat(skopeo("inspect", "--format", "{{.Digest}}", ociArchive).trim()).isEqualTo(original);

        CliRun toDocker = CliRun.ok("copy", ociArchive, "docker-archive:" + dockerFile + ":example.com/app:1");
        assertThat(toDocker.err()).contains("re-encoded as none");
        String configOut = skopeo("inspect", "--raw", "--config", "docker-archive:" + dockerFile);
        assertThat(configOut.trim()).isEqualTo(new String(app.config(), StandardCharsets.UTF_8).trim());

        CliRun load = CliRun.ok("--root", root, "--driver", "vfs", "load", "-i", dockerFile.toString());
        assertThat(load.out()).contains("Loaded image example.com/app:1");
        assertThat(load.err()).contains("holds no manifest");

        String back = CliRun.ok("--root", root, "copy", "-q", "store:example.com/app:1",
                "docker://" + registry.host() + "/back/app:1").out().trim();
        assertThat(back).isNotEqualTo(original);
        String config = skopeo("inspect", "--raw", "--config", "--tls-verify=false",
                "docker://" + registry.host() + "/back/app:1");
        assertThat(config.trim()).as("config, and so the DiffIDs, unchanged")
                .isEqualTo(new String(app.config(), StandardCharsets.UTF_8).trim());
        Path rootfs = tmp.resolve("rootfs");
        CliRun.ok("--root", root, "unpack", "example.com/app:1", rootfs.toString());
        assertThat(Files.readString(rootfs.resolve("etc/motd"))).isEqualTo("copied by strata\n");
    }

    @Test
    void skopeoAndUmociReadWhatCopyWrites() throws Exception {
        Path dockerFile = tmp.resolve("d.tar");
        CliRun.ok("copy", "docker://" + appRef, "docker-archive:" + dockerFile + ":app:1");
        skopeo("copy", "-q", "docker-archive:" + dockerFile, "oci:" + tmp.resolve("sk") + ":x");
        Path layout = tmp.resolve("ours");
        CliRun.ok("copy", "docker://" + appRef, "oci:" + layout + ":t");
        if (Capabilities.isRoot() || Capabilities.inCi()) {
            Capabilities.requireTool("umoci");
            Proc.ok(null, "umoci", "unpack", "--image", layout + ":t", tmp.resolve("bundle").toString());
            assertThat(Files.readString(tmp.resolve("bundle/rootfs/etc/motd"))).isEqualTo("copied by strata\n");
        }
        assertThat(skopeo("inspect", "--format", "{{.Digest}}", "oci:" + layout + ":t").trim())
                .isEqualTo(app.manifest().digest().toString());
    }

    @Test
    void copyReadsWhatSkopeoWrites() throws Exception {
        Path dockerFile = tmp.resolve("sk-docker.tar");
        Path ociFile = tmp.resolve("sk-oci.tar");
        skopeo("copy", "-q", "--src-tls-verify=false", "docker://" + appRef, "docker-archive:" + dockerFile + ":a/b:1");
        skopeo("copy", "-q", "--src-tls-verify=false", "docker://" + appRef, "oci-archive:" + ociFile + ":t");
        CliRun.ok("copy", "docker-archive:" + dockerFile + ":a/b:1", "oci:" + tmp.resolve("l1") + ":t");
        CliRun.ok("copy", "docker-archive:" + dockerFile + ":@0", "oci:" + tmp.resolve("l2") + ":t");
        String kept = CliRun.ok("copy", "-q", "oci-archive:" + ociFile + ":t", "oci:" + tmp.resolve("l3") + ":t").out();
        assertThat(kept.trim()).isEqualTo(app.manifest().digest().toString());
        CliRun unpack = CliRun.ok("unpack", "oci:" + tmp.resolve("l1") + ":t", tmp.resolve("r1").toString());
        assertThat(unpack.code()).isZero();
        assertThat(Files.readString(tmp.resolve("r1/etc/motd"))).isEqualTo("copied by strata\n");
    }

    @Test
    void dirFormatIsReadAndWrittenLikeSkopeos() throws Exception {
        Path ours = tmp.resolve("ours-dir");
        CliRun.ok("copy", "--all", "docker://" + multiRef, "dir:" + ours);
        assertThat(Files.readString(ours.resolve("version"))).isEqualTo("Directory Transport Version: 1.1\n");
        skopeo("copy", "-q", "--all", "dir:" + ours, "oci:" + tmp.resolve("from-ours") + ":t");
        Path theirs = tmp.resolve("skopeo-dir");
        skopeo("copy", "-q", "--src-tls-verify=false", "--all", "docker://" + multiRef, "dir:" + theirs);
        String digest = CliRun.ok("copy", "-q", "--all", "dir:" + theirs, "oci:" + tmp.resolve("from-theirs") + ":t")
                .out().trim();
        assertThat(skopeo("inspect", "--format", "{{.Digest}}", "--tls-verify=false", "docker://" + multiRef).trim())
                .isEqualTo(digest);
    }

    @Test
    void allCopiesTheIndexWithEveryPlatformAndKeepsItsDigest() throws Exception {
        Path layout = tmp.resolve("multi");
        String index = skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + multiRef);
        String digest = CliRun.ok("copy", "-q", "--all", "docker://" + multiRef, "oci:" + layout + ":v1").out().trim();
        assertThat(skopeo("inspect", "--raw", "oci:" + layout + ":v1")).isEqualTo(index);
        assertThat(skopeo("inspect", "--format", "{{.Digest}}", "--tls-verify=false", "docker://" + multiRef).trim())
                .isEqualTo(digest);
        for (String platform : List.of("linux/amd64", "linux/arm64/v8")) {
            skopeo("--override-os", "linux", "--override-arch", platform.split("/")[1], "copy", "-q",
                    "oci:" + layout + ":v1", "oci:" + tmp.resolve("one-" + platform.split("/")[1]) + ":x");
        }
        String one = CliRun.ok("copy", "-q", "--platform", "linux/arm64/v8", "docker://" + multiRef,
                "oci:" + tmp.resolve("arm") + ":x").out().trim();
        assertThat(one).as("without --all the destination names the platform's manifest, not the index")
                .isEqualTo(arm.manifest().digest().toString());
    }

    @Test
    void copyBetweenRepositoriesOfOneRegistryMountsEveryBlobAndUploadsNone() {
        int before = registry.requests().size();
        CliRun.ok("copy", "docker://" + appRef, "docker://" + registry.host() + "/other/app:1");
        List<String> requests = registry.requests().subList(before, registry.requests().size());
        assertThat(requests).filteredOn(r -> r.startsWith("PATCH") || (r.startsWith("PUT") && r.contains("/blobs/")))
                .as("no blob bytes sent").isEmpty();
        assertThat(requests).filteredOn(r -> r.startsWith("POST") && r.contains("mount=")).hasSize(2);
        assertThat(registry.inspect("other/app", "1")).contains(app.manifest().digest().toString());
    }

    @Test
    void preserveDigestsRefusesACopyThatWouldChangeOneAndWritesNothing() {
        Path file = tmp.resolve("refused.tar");
        CliRun r = CliRun.of("copy", "--preserve-digests", "docker://" + appRef, "docker-archive:" + file + ":a:1");
        assertThat(r.code()).as(r.err()).isEqualTo(8);
        assertThat(r.err()).contains("cannot preserve digests");
        assertThat(file).doesNotExist();
        assertThat(tmp.toFile().list()).as("no work directory left beside it").isEmpty();
        CliRun zstd = CliRun.of("copy", "--preserve-digests", "--dest-compress", "zstd", "docker://" + appRef,
                "oci:" + tmp.resolve("z") + ":t");
        assertThat(zstd.code()).as(zstd.err()).isEqualTo(8);
    }

    @Test
    void destCompressReencodesLayersAndKeepsConfigAndDiffIds() throws Exception {
        String dest = "docker://" + registry.host() + "/zstd/app:1";
        CliRun r = CliRun.ok("copy", "--dest-compress", "zstd", "--dest-compress-level", "19", "docker://" + appRef, dest);
        assertThat(r.err()).contains("re-encoded as zstd");
        String manifest = skopeo("inspect", "--raw", "--tls-verify=false", dest);
        assertThat(manifest).contains("application/vnd.oci.image.layer.v1.tar+zstd");
        String config = skopeo("inspect", "--raw", "--config", "--tls-verify=false", dest);
        assertThat(config.trim()).isEqualTo(new String(app.config(), StandardCharsets.UTF_8).trim());
        String root = tmp.resolve("store").toString();
        CliRun.ok("--root", root, "--driver", "vfs", "pull", "-q", registry.host() + "/zstd/app:1");
        CliRun.ok("--root", root, "unpack", registry.host() + "/zstd/app:1", tmp.resolve("rootfs").toString());
        assertThat(Files.readString(tmp.resolve("rootfs/etc/motd"))).isEqualTo("copied by strata\n");
        CliRun bad = CliRun.of("copy", "--dest-compress", "gzip", "--dest-compress-level", "12",
                "docker://" + appRef, "oci:" + tmp.resolve("x") + ":t");
        assertThat(bad.code()).isEqualTo(2);
    }

    @Test
    void saveWritesSeveralImagesIntoOneArchiveThatLoadRestores() throws Exception {
        Path file = tmp.resolve("two.tar");
        String root = tmp.resolve("store").toString();
        CliRun.ok("save", "-o", file.toString(), "docker://" + appRef,
                "docker://" + registry.host() + "/src/multi:v1");
        String manifestJson = Proc.ok(null, "tar", "-xOf", file.toString(), "manifest.json");
        assertThat(manifestJson).contains(registry.host() + "/src/app:1").contains(registry.host() + "/src/multi:v1");
        CliRun load = CliRun.ok("--root", root, "--driver", "vfs", "load", "-i", file.toString());
        assertThat(load.out()).contains("Loaded image " + appRef).contains("Loaded image " + multiRef);
        assertThat(CliRun.ok("--root", root, "images").out()).contains(appRef).contains(multiRef);
    }

    /** A dir: image another user can write to: a FIFO as a blob fails fast, a symlinked manifest.json is refused. */
    @Test
    void hostileDirImagesAreRefusedWithoutHangingOrFollowing() throws Exception {
        Path dir = tmp.resolve("d");
        CliRun.ok("copy", "docker://" + appRef, "dir:" + dir);
        Path layer = dir.resolve(app.manifest().layers().get(0).digest().encoded());
        Files.delete(layer);
        Proc.ok(null, "mkfifo", layer.toString());
        CliRun fifo = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                () -> CliRun.of("copy", "dir:" + dir, "oci:" + tmp.resolve("o1") + ":t"));
        assertThat(fifo.code()).as(fifo.err()).isEqualTo(6);
        assertThat(fifo.err()).contains("FIFO");
        Path secret = Files.writeString(tmp.resolve("secret.json"), "{\"schemaVersion\":2}");
        Files.delete(dir.resolve("manifest.json"));
        Files.createSymbolicLink(dir.resolve("manifest.json"), secret);
        CliRun link = CliRun.of("copy", "dir:" + dir, "oci:" + tmp.resolve("o2") + ":t");
        assertThat(link.code()).as(link.err()).isEqualTo(6);
        assertThat(link.err()).contains("symbolic link");
    }

    /** A docker archive whose manifest.json names files outside it, or is compressed: refused, nothing written. */
    @Test
    void hostileDockerArchivesAreRefused() throws Exception {
        Path escape = tmp.resolve("escape.tar");
        Files.write(escape, new TarBuilder()
                .file("manifest.json", "[{\"Config\":\"../../etc/passwd\",\"RepoTags\":[\"a:1\"],\"Layers\":[]}]")
                .end().bytes());
        CliRun r = CliRun.of("copy", "docker-archive:" + escape, "oci:" + tmp.resolve("out") + ":t");
        assertThat(r.code()).as(r.err()).isEqualTo(6);
        assertThat(r.err()).contains("does not hold");
        assertThat(tmp.resolve("out")).doesNotExist();

        Path gz = tmp.resolve("compressed.tar.gz");
        Files.write(gz, OciImages.gzip(Files.readAllBytes(escape)));
        CliRun c = CliRun.of("copy", "docker-archive:" + gz, "oci:" + tmp.resolve("out") + ":t");
        assertThat(c.code()).isEqualTo(6);
        assertThat(c.err()).contains("gzip-compressed");

        Path none = tmp.resolve("none.tar");
        Files.write(none, new TarBuilder().file("hello", "x").end().bytes());
        CliRun n = CliRun.of("load", "-i", none.toString(), "--root", tmp.resolve("s").toString());
        assertThat(n.code()).isEqualTo(6);
        assertThat(n.err()).contains("no manifest.json");
    }
}
