package dev.strata.image.model;

import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Documents parsed as strictly as the Go peers parse them (issue 12.6) and bounded before a tree is built (issue
 * 17.15): a byte-order mark, a config of a million history entries, a layer type nobody can apply.
 */
class DocumentLimitsTest {
    private static final String DIFF_ID = Digest.sha256(new byte[0]).toString();

    private static String config(int history) {
        StringBuilder b = new StringBuilder("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                + "\"diff_ids\":[\"" + DIFF_ID + "\"]},\"history\":[");
        for (int i = 0; i < history; i++) {
            b.append(i == 0 ? "" : ",").append("{\"created_by\":\"x\"}");
        }
        return b.append("]}").toString();
    }

    @Test
    void aByteOrderMarkBeforeTheJsonIsRefused() {
        byte[] json = config(1).getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[json.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(json, 0, withBom, 3, json.length);
        assertThat(Manifests.parseConfig(json).diffIds()).hasSize(1);
        assertThatThrownBy(() -> Manifests.parseConfig(withBom)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("byte-order mark");
    }

    @Test
    void aMillionHistoryEntriesAreRefusedBeforeAnyTreeIsBuilt() {
        byte[] bomb = config(1_000_000).getBytes(StandardCharsets.UTF_8); // 20 MB here; the 4 MiB cap is separate
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThatThrownBy(() -> Json.readObject(bomb, "config"))
                .isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("$.history").hasMessageContaining("more than " + Json.MAX_ENTRIES));
        assertThat(Manifests.parseConfig(config(Json.MAX_ENTRIES).getBytes(StandardCharsets.UTF_8)).history())
                .as("the limit itself is fine").hasSize(Json.MAX_ENTRIES);
    }

    @Test
    void tooManyLabelsOrIndexEntriesAreRefusedToo() {
        StringBuilder labels = new StringBuilder("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{");
        for (int i = 0; i <= Json.MAX_ENTRIES; i++) {
            labels.append(i == 0 ? "" : ",").append("\"l").append(i).append("\":\"v\"");
        }
        labels.append("}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        assertThatThrownBy(() -> Manifests.parseConfig(labels.toString().getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("Labels");
    }

    @Test
    void aLayerTypeNoOneCanApplyIsRefusedNamingTheDescriptor() {
        Descriptor config = new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(new byte[] {1}), 1);
        Descriptor odd = new Descriptor("application/vnd.example.strange+tar", Digest.sha256(new byte[] {2}), 1);
        ImageManifest m = ImageManifest.create(MediaType.OCI_MANIFEST, config, List.of(odd), Map.of());
        assertThatThrownBy(m::requireKnownLayers).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("layer 0").hasMessageContaining(odd.digest().toString())
                .hasMessageContaining("application/vnd.example.strange+tar");
        ImageManifest.create(MediaType.OCI_MANIFEST, config, List.of(new Descriptor(MediaType.DOCKER_LAYER,
                odd.digest(), 1)), Map.of()).requireKnownLayers();
    }
}
