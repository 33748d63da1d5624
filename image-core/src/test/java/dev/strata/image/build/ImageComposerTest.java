package dev.strata.image.build;

import dev.strata.image.NotFoundException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.HistoryEntry;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The composer: base + layers + edits → config and manifest blobs in a content store. */
class ImageComposerTest {
    @TempDir
    Path dir;
    ContentStore content;

    @BeforeEach
    void open() throws IOException {
        content = ContentStore.open(dir.resolve("layout"));
    }

    /** A base image in the store: one layer blob (not necessarily valid tar; the composer never reads it). */
    ImageManifest base(String manifestType, String layerType) throws IOException {
        byte[] layer = "layer-bytes".getBytes(StandardCharsets.UTF_8);
        Digest layerDigest = content.put(layer);
        Digest diffId = Digest.sha256("uncompressed".getBytes(StandardCharsets.UTF_8));
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"x-extra\":{\"k\":[1]},"
                + "\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId
                + "\"]},\"history\":[{\"created_by\":\"base\"}]}").getBytes(StandardCharsets.UTF_8);
        Digest configDigest = content.put(config);
        String configType = manifestType.equals(MediaType.DOCKER_MANIFEST) ? MediaType.DOCKER_CONFIG
                : MediaType.OCI_CONFIG;
        Descriptor layerDescriptor = new Descriptor(layerType, layerDigest, layer.length, List.of(),
                Map.of("layer.note", "kept"), null, null);
        ImageManifest m = ImageManifest.create(manifestType, new Descriptor(configType, configDigest, config.length),
                List.of(layerDescriptor), manifestType.equals(MediaType.OCI_MANIFEST)
                        ? Map.of("org.example.base", "yes") : Map.of());
        content.put(m.raw());
        return m;
    }

    NewLayer newLayer(String text) throws IOException {
        byte[] blob = text.getBytes(StandardCharsets.UTF_8);
        Digest d = content.put(blob);
        return new NewLayer(new Descriptor(MediaType.OCI_LAYER_ZSTD, d, blob.length),
                Digest.sha256(("diff-" + text).getBytes(StandardCharsets.UTF_8)),
                new HistoryEntry(Instant.parse("2025-01-01T00:00:00Z"), "append " + text, null, null, false));
    }

    ImageManifest read(Descriptor d) throws IOException {
        return Manifests.parseManifest(content.readSmall(d.digest()), d.mediaType());
    }

    ImageConfig configOf(ImageManifest m) throws IOException {
        return Manifests.parseConfig(content.readSmall(m.config().digest()));
    }

    @ParameterizedTest(name = "{0} base with {1} layers")
    @CsvSource({
            "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.layer.v1.tar+gzip, "
                    + "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.layer.v1.tar+zstd, "
                    + "application/vnd.oci.image.layer.v1.tar+zstd",
            "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.image.rootfs.diff.tar.gzip, "
                    + "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.image.rootfs.diff.tar, "
                    + "application/vnd.oci.image.layer.v1.tar",
    })
    void composesOnBase(String manifestType, String layerType, String expectedLayerType) throws IOException {
        ImageManifest base = base(manifestType, layerType);
        ImageComposer composer = ImageComposer.onBase(content, base);
        composer.config().runtimeConfig(b -> b.cmd(List.of("/app"))).author("me");
        NewLayer added = newLayer("one");
        Descriptor d = composer.addLayer(added).annotation("org.example.new", "1").write(content);

        assertThat(d.mediaType()).isEqualTo(MediaType.OCI_MANIFEST);
        ImageManifest m = read(d);
        assertThat(m.digest()).isEqualTo(d.digest());
        assertThat(m.size()).isEqualTo(d.size());
        assertThat(m.mediaType()).isEqualTo(MediaType.OCI_MANIFEST);
        assertThat(m.config().mediaType()).isEqualTo(MediaType.OCI_CONFIG);
        assertThat(m.layers()).hasSize(2);
        Descriptor baseLayer = base.layers().get(0);
        assertThat(m.layers().get(0).digest()).isEqualTo(baseLayer.digest());
        assertThat(m.layers().get(0).size()).isEqualTo(baseLayer.size());
        assertThat(m.layers().get(0).annotations()).isEqualTo(baseLayer.annotations());
        assertThat(m.layers().get(0).mediaType()).isEqualTo(expectedLayerType);
        assertThat(m.layers().get(1)).isEqualTo(added.blob());
        assertThat(m.annotations()).containsEntry("org.example.new", "1");
        if (manifestType.equals(MediaType.OCI_MANIFEST)) {
            assertThat(m.annotations()).containsEntry("org.example.base", "yes");
        }

        ImageConfig c = configOf(m);
        ImageConfig baseConfig = configOf(base);
        assertThat(c.diffIds()).containsExactly(baseConfig.diffIds().get(0), added.diffId());
        assertThat(c.history()).extracting(HistoryEntry::createdBy).containsExactly("base", "append one");
        assertThat(c.config().cmd()).containsExactly("/app");
        assertThat(c.author()).isEqualTo("me");
        assertThat(new String(c.raw(), StandardCharsets.UTF_8)).contains("\"x-extra\":{\"k\":[1]}");
    }

    @Test
    void composesFromScratch() throws IOException {
        ImageComposer composer = ImageComposer.fromScratch(new Platform("linux", "arm64"));
        Descriptor d = composer.addLayer(newLayer("a")).addLayer(newLayer("b")).write(content);
        ImageManifest m = read(d);
        assertThat(m.layers()).hasSize(2);
        ImageConfig c = configOf(m);
        assertThat(c.platform()).isEqualTo(new Platform("linux", "arm64"));
        assertThat(c.diffIds()).hasSize(2);
        assertThat(c.history()).hasSize(2);
        assertThat(m.annotations()).isEmpty();
    }

    @Test
    void sameInputsSameDigest() throws IOException {
        ImageManifest base = base(MediaType.OCI_MANIFEST, MediaType.OCI_LAYER_GZIP);
        NewLayer l = newLayer("x");
        Descriptor a = ImageComposer.onBase(content, base).addLayer(l).write(content);
        Descriptor b = ImageComposer.onBase(content, base).addLayer(l).write(content);
        assertThat(a).isEqualTo(b);
        Descriptor c = ImageComposer.onBase(content, base).addLayer(newLayer("y")).write(content);
        assertThat(c.digest()).isNotEqualTo(a.digest());
    }

    @Test
    void annotationsCanBeReplaced() throws IOException {
        ImageManifest base = base(MediaType.OCI_MANIFEST, MediaType.OCI_LAYER_GZIP);
        ImageManifest m = read(ImageComposer.onBase(content, base).annotations(Map.of("only", "this"))
                .write(content));
        assertThat(m.annotations()).isEqualTo(Map.of("only", "this"));
    }

    @Test
    void refusesMissingLayerBlobAndMismatchedConfig() throws IOException {
        ImageManifest base = base(MediaType.OCI_MANIFEST, MediaType.OCI_LAYER_GZIP);
        NewLayer ghost = new NewLayer(new Descriptor(MediaType.OCI_LAYER, Digest.sha256(new byte[]{1}), 1),
                Digest.sha256(new byte[]{1}), null);
        assertThatThrownBy(() -> ImageComposer.onBase(content, base).addLayer(ghost).write(content))
                .isInstanceOf(NotFoundException.class).hasMessageContaining(ghost.blob().digest().toString());
        ImageConfig other = ImageConfig.scratch(new Platform("linux", "amd64"));
        assertThatThrownBy(() -> ImageComposer.onBase(base, other)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NewLayer(new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(new byte[0]), 0),
                Digest.sha256(new byte[0]), null)).isInstanceOf(IllegalArgumentException.class);
    }
}
