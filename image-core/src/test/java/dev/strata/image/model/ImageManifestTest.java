package dev.strata.image.model;

import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Covers building a manifest from parts (canonical bytes, digest) and the value's immutability. */
class ImageManifestTest {
    static final Descriptor CONFIG = new Descriptor(MediaType.OCI_CONFIG, Digest.parse("sha256:" + "a".repeat(64)), 7);
    static final Descriptor LAYER = new Descriptor(MediaType.OCI_LAYER_GZIP, Digest.parse("sha256:" + "b".repeat(64)),
            123);

    @Test
    void createWritesCompactJsonInFixedOrder() {
        ImageManifest m = ImageManifest.create(MediaType.OCI_MANIFEST, CONFIG, List.of(LAYER),
                Map.of("org.opencontainers.image.created", "2024-01-01T00:00:00Z"));
        assertThat(new String(m.raw(), StandardCharsets.UTF_8)).isEqualTo("{\"schemaVersion\":2,\"mediaType\":\""
                + MediaType.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG
                + "\",\"digest\":\"" + CONFIG.digest() + "\",\"size\":7},\"layers\":[{\"mediaType\":\""
                + MediaType.OCI_LAYER_GZIP + "\",\"digest\":\"" + LAYER.digest() + "\",\"size\":123}],"
                + "\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\"}}");
        assertThat(m.digest()).isEqualTo(Digest.sha256(m.raw()));
        assertThat(m.config()).isEqualTo(CONFIG);
        assertThat(m.layers()).containsExactly(LAYER);
        assertThat(Manifests.parseManifest(m.raw(), MediaType.OCI_MANIFEST)).isEqualTo(m);
    }

    @Test
    void samePartsGiveSameDigest() {
        ImageManifest a = ImageManifest.create(MediaType.DOCKER_MANIFEST, CONFIG, List.of(LAYER, LAYER), null);
        ImageManifest b = ImageManifest.create(MediaType.DOCKER_MANIFEST, CONFIG, List.of(LAYER, LAYER), Map.of());
        assertThat(a).isEqualTo(b);
        assertThat(a.digest()).isEqualTo(b.digest());
        assertThat(a.descriptor()).isEqualTo(new Descriptor(MediaType.DOCKER_MANIFEST, a.digest(), a.size()));
    }

    @Test
    void listsAndRawBytesCannotBeChangedFromOutside() {
        ImageManifest m = ImageManifest.create(MediaType.OCI_MANIFEST, CONFIG, List.of(LAYER), Map.of());
        byte[] raw = m.raw();
        raw[0] = 'X';
        assertThat(m.raw()[0]).isEqualTo((byte) '{');
        assertThatThrownBy(() -> m.layers().add(LAYER)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.annotations().put("a", "b")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesNonManifestMediaType() {
        assertThatThrownBy(() -> ImageManifest.create(MediaType.OCI_INDEX, CONFIG, List.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(MediaType.OCI_INDEX);
    }
}
