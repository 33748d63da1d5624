package dev.strata.image.model;

import dev.strata.image.digest.Digest;
import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interop: parses what umoci and skopeo write (OCI layout index, manifest and config; a Docker v2s2 manifest),
 * and has skopeo read an index and a manifest that Strata wrote.
 */
class ModelInteropTest {
    @TempDir
    static Path tmp;
    static Path layout;

    @BeforeAll
    static void buildImageWithUmoci() throws Exception {
        Capabilities.require(Capabilities.hasTool("umoci"), "umoci is not installed");
        Capabilities.require(Capabilities.hasTool("skopeo"), "skopeo is not installed");
        layout = tmp.resolve("img");
        Path bundle = tmp.resolve("bundle");
        List<String> rootless = Capabilities.isRoot() ? List.of() : List.of("--rootless");
        run("umoci", "init", "--layout", layout.toString());
        run("umoci", "new", "--image", layout + ":t");
        run("umoci", "config", "--image", layout + ":t", "--config.env", "A=1", "--config.cmd", "/bin/sh",
                "--config.label", "org.example.k=v", "--config.exposedports", "8080/tcp", "--config.workingdir",
                "/srv", "--author", "strata-test", "--history.created_by", "umoci config");
        for (int i = 1; i <= 2; i++) {
            List<String> unpack = new ArrayList<>(List.of("umoci", "unpack"));
            unpack.addAll(rootless);
            unpack.addAll(List.of("--image", layout + ":t", bundle.toString()));
            run(unpack.toArray(String[]::new));
            Files.writeString(bundle.resolve("rootfs").resolve("file" + i + ".txt"), "layer " + i + "\n");
            List<String> repack = new ArrayList<>(List.of("umoci", "repack"));
            repack.addAll(rootless);
            repack.addAll(List.of("--image", layout + ":t", bundle.toString()));
            run(repack.toArray(String[]::new));
            deleteTree(bundle);
        }
    }

    @Test
    void parsesUmociLayout() throws Exception {
        ImageIndex index = Manifests.parseIndex(Files.readAllBytes(layout.resolve("index.json")), null);
        assertThat(index.mediaType()).isEqualTo(MediaType.OCI_INDEX);
        Descriptor ref = tagged(index, "t");

        byte[] manifestBytes = blob(layout, ref.digest());
        ImageManifest manifest = Manifests.parseManifest(manifestBytes, ref.mediaType());
        assertThat(manifest.digest()).isEqualTo(ref.digest());
        assertThat(manifest.digest().encoded()).isEqualTo(blobPath(layout, ref.digest()).getFileName().toString());
        assertThat(manifest.size()).isEqualTo(ref.size());
        assertThat(manifest.layers()).hasSize(2)
                .allSatisfy(l -> assertThat(MediaType.isLayer(l.mediaType())).isTrue())
                .allSatisfy(l -> assertThat(Files.size(blobPath(layout, l.digest()))).isEqualTo(l.size()));

        ImageConfig config = Manifests.parseConfig(blob(layout, manifest.config().digest()));
        assertThat(config.digest()).isEqualTo(manifest.config().digest());
        assertThat(config.size()).isEqualTo(manifest.config().size());
        assertThat(config.diffIds()).hasSameSizeAs(manifest.layers());
        assertThat(config.platform().normalized()).isEqualTo(Platform.host().normalized());
        assertThat(config.author()).isEqualTo("strata-test");
        assertThat(config.config().env()).contains("A=1");
        assertThat(config.config().cmd()).containsExactly("/bin/sh");
        assertThat(config.config().labels()).containsEntry("org.example.k", "v");
        assertThat(config.config().exposedPorts()).containsExactly("8080/tcp");
        assertThat(config.config().workingDir()).isEqualTo("/srv");
        assertThat(config.history().stream().filter(h -> !h.emptyLayer()).count()).isEqualTo(2);
        assertThat(config.history()).anySatisfy(h -> assertThat(h.createdBy()).isEqualTo("umoci config"));
    }

    @Test
    void parsesSkopeoOciCopyAndDockerV2s2Conversion() throws Exception {
        Path copy = tmp.resolve("copy");
        run("skopeo", "copy", "oci:" + layout + ":t", "oci:" + copy + ":t");
        ImageIndex original = Manifests.parseIndex(Files.readAllBytes(layout.resolve("index.json")), null);
        ImageIndex copied = Manifests.parseIndex(Files.readAllBytes(copy.resolve("index.json")), null);
        assertThat(tagged(copied, "t").digest()).isEqualTo(tagged(original, "t").digest());

        Path dir = tmp.resolve("v2s2");
        run("skopeo", "copy", "--format", "v2s2", "oci:" + layout + ":t", "dir:" + dir);
        byte[] raw = Files.readAllBytes(dir.resolve("manifest.json"));
        ManifestDocument doc = Manifests.parse(raw, null);
        assertThat(doc).isInstanceOf(ImageManifest.class);
        ImageManifest docker = (ImageManifest) doc;
        assertThat(docker.mediaType()).isEqualTo(MediaType.DOCKER_MANIFEST);
        assertThat(docker.digest()).isEqualTo(Digest.sha256(raw));
        assertThat(docker.config().mediaType()).isEqualTo(MediaType.DOCKER_CONFIG);
        assertThat(docker.layers()).hasSize(2)
                .allSatisfy(l -> assertThat(l.mediaType()).isEqualTo(MediaType.DOCKER_LAYER_GZIP));
        ImageConfig config = Manifests.parseConfig(Files.readAllBytes(dir.resolve(docker.config().digest().encoded())));
        assertThat(config.digest()).isEqualTo(docker.config().digest());
        assertThat(config.diffIds()).hasSameSizeAs(docker.layers());
    }

    @Test
    void skopeoReadsAnIndexAndManifestStrataWrote() throws Exception {
        Path target = tmp.resolve("strata-written");
        run("skopeo", "copy", "oci:" + layout + ":t", "oci:" + target + ":t");
        ImageIndex layoutIndex = Manifests.parseIndex(Files.readAllBytes(target.resolve("index.json")), null);
        ImageManifest umoci = Manifests.parseManifest(blob(target, tagged(layoutIndex, "t").digest()), null);

        // our own serialization of the same parts, stored as a blob and tagged "ours"
        ImageManifest ours = ImageManifest.create(MediaType.OCI_MANIFEST, umoci.config(), umoci.layers(),
                Map.of("org.example.written-by", "strata"));
        Files.write(blobPath(target, ours.digest()), ours.raw());
        // a platform index pointing at it, tagged "multi", with a foreign platform first
        ImageConfig config = Manifests.parseConfig(blob(target, umoci.config().digest()));
        ImageIndex platforms = ImageIndex.create(MediaType.OCI_INDEX, List.of(
                ours.descriptor().withPlatform(new Platform("linux", "s390x")),
                ours.descriptor().withPlatform(config.platform())), Map.of());
        Files.write(blobPath(target, platforms.digest()), platforms.raw());

        List<Descriptor> entries = new ArrayList<>(layoutIndex.manifests());
        entries.add(ours.descriptor().withAnnotations(Map.of(Descriptor.REF_NAME_ANNOTATION, "ours")));
        entries.add(platforms.descriptor().withAnnotations(Map.of(Descriptor.REF_NAME_ANNOTATION, "multi")));
        Files.write(target.resolve("index.json"), ImageIndex.create(MediaType.OCI_INDEX, entries, null).raw());

        String inspected = run("skopeo", "inspect", "--raw", "oci:" + target + ":ours");
        assertThat(inspected.getBytes(StandardCharsets.UTF_8)).isEqualTo(ours.raw());

        Path out = tmp.resolve("from-multi");
        run("skopeo", "copy", "oci:" + target + ":multi", "oci:" + out + ":x");
        ImageIndex outIndex = Manifests.parseIndex(Files.readAllBytes(out.resolve("index.json")), null);
        assertThat(tagged(outIndex, "x").digest()).isEqualTo(ours.digest());
        assertThat(platforms.select(Platform.host()).digest()).isEqualTo(ours.digest());
    }

    private static Descriptor tagged(ImageIndex index, String tag) {
        return index.manifests().stream().filter(d -> tag.equals(d.annotation(Descriptor.REF_NAME_ANNOTATION)))
                .findFirst().orElseThrow(() -> new AssertionError("no tag " + tag + " in " + index.manifests()));
    }

    private static Path blobPath(Path layout, Digest digest) {
        return layout.resolve("blobs").resolve(digest.algorithm().ociName()).resolve(digest.encoded());
    }

    private static byte[] blob(Path layout, Digest digest) throws IOException {
        return Files.readAllBytes(blobPath(layout, digest));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Path errors = Files.createTempFile(tmp, "stderr", ".txt");
        Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        assertThat(p.exitValue()).as("%s failed: %s", List.of(command), Files.readString(errors)).isZero();
        return new String(stdout, StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
