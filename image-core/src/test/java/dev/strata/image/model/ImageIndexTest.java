package dev.strata.image.model;

import dev.strata.image.ErrorKind;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Covers platform selection in an index (exact, arm fallback, error listing) and building an index from parts. */
class ImageIndexTest {

    private static int counter;

    /** An index entry for {@code os/arch[/variant]} as written (not normalized); null platform for "-". */
    static Descriptor entry(String platform) {
        String hex = String.format("%064x", ++counter);
        Descriptor d = new Descriptor(MediaType.OCI_MANIFEST, Digest.parse("sha256:" + hex), 100 + counter);
        if (platform.equals("-")) {
            return d;
        }
        String[] p = platform.split("/");
        return d.withPlatform(new Platform(p[0], p[1], p.length > 2 ? p[2] : null));
    }

    static ImageIndex index(String... platforms) {
        List<Descriptor> entries = new ArrayList<>();
        for (String p : platforms) {
            entries.add(entry(p));
        }
        return ImageIndex.create(MediaType.OCI_INDEX, entries, Map.of());
    }

    @ParameterizedTest(name = "want {0} from [{1}] -> {2}")
    @CsvSource(delimiter = ';', value = {
            "linux/amd64;   linux/arm64 linux/amd64 linux/s390x;            linux/amd64",
            "linux/arm64;   linux/amd64 linux/arm64/v8;                     linux/arm64/v8",
            "linux/arm64;   linux/aarch64;                                  linux/aarch64",
            "linux/arm64/v8; linux/arm64;                                   linux/arm64",
            "linux/arm/v8;  linux/arm/v6 linux/arm/v7 linux/arm/v5;          linux/arm/v7",
            "linux/arm/v8;  linux/arm/v5 linux/arm/v8 linux/arm/v7;          linux/arm/v8",
            "linux/arm/v8;  linux/arm/v5;                                   linux/arm/v5",
            "linux/arm/v7;  linux/arm/v6 linux/arm;                         linux/arm",
            "linux/arm/v7;  linux/arm/v6 linux/armhf;                       linux/armhf",
            "linux/arm/v6;  linux/arm/v5 linux/arm/v7;                      linux/arm/v5",
            "linux/amd64;   - unknown/unknown linux/amd64;                  linux/amd64",
    })
    void selectsMostPreferredCompatibleEntry(String wanted, String offered, String chosen) {
        ImageIndex index = index(offered.trim().split("\\s+"));
        Descriptor selected = index.select(Platform.parse(wanted));
        String p = selected.platform().os() + "/" + selected.platform().architecture()
                + (selected.platform().variant() == null ? "" : "/" + selected.platform().variant());
        assertThat(p).isEqualTo(chosen);
        assertThat(ImageIndex.bestMatch(index.manifests(), Platform.parse(wanted))).contains(selected);
    }

    @Test
    void firstListedWinsAmongEqualMatches() {
        ImageIndex index = index("linux/amd64", "linux/x86_64");
        assertThat(index.select(Platform.parse("linux/amd64"))).isEqualTo(index.manifests().get(0));
    }

    @ParameterizedTest(name = "want {0} from [{1}]")
    @CsvSource(delimiter = ';', value = {
            "linux/s390x;  linux/amd64 linux/arm64/v8 unknown/unknown;  linux/amd64, linux/arm64/v8",
            "linux/arm64;  linux/arm/v7 linux/arm/v8;                   linux/arm/v7, linux/arm/v8",
            "linux/arm/v7; linux/arm/v8 linux/arm64;                    linux/arm/v8, linux/arm64",
            "linux/amd64;  windows/amd64;                               windows/amd64",
            "linux/amd64;  - unknown/unknown;                           none",
    })
    void reportsAvailablePlatformsWhenNothingMatches(String wanted, String offered, String available) {
        ImageIndex index = index(offered.trim().split("\\s+"));
        assertThat(index.bestMatch(Platform.parse(wanted))).isEmpty();
        assertThatThrownBy(() -> index.select(Platform.parse(wanted)))
                .isInstanceOf(NotFoundException.class)
                .hasMessage("no manifest for " + Platform.parse(wanted) + " in index " + index.digest()
                        + "; available: " + available)
                .satisfies(e -> assertThat(((NotFoundException) e).kind()).isEqualTo(ErrorKind.NOT_FOUND));
    }

    @Test
    void createWritesCanonicalBytesThatParseBack() {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("z", "last");
        annotations.put("a", "first");
        Descriptor amd = entry("linux/amd64").withAnnotations(Map.of("k", "v"));
        Descriptor arm = new Descriptor(MediaType.OCI_MANIFEST, Digest.parse("sha256:" + "e".repeat(64)), 5,
                List.of("https://mirror/x"), Map.of(), new Platform("linux", "arm", "v7", "10.0", List.of("sse4")),
                "application/x-art");
        ImageIndex index = ImageIndex.create(MediaType.OCI_INDEX, List.of(amd, arm), annotations);

        String json = new String(index.raw(), StandardCharsets.UTF_8);
        assertThat(json).startsWith("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX
                + "\",\"manifests\":[").endsWith("\"annotations\":{\"a\":\"first\",\"z\":\"last\"}}");
        assertThat(json).contains("\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"os.version\":\"10.0\","
                + "\"os.features\":[\"sse4\"],\"variant\":\"v7\"}");
        assertThat(index.digest()).isEqualTo(Digest.sha256(index.raw()));
        assertThat(index.manifests()).containsExactly(amd, arm);
        assertThat(index.annotations()).isEqualTo(annotations);
        assertThat(Manifests.parse(index.raw(), MediaType.OCI_INDEX)).isEqualTo(index);

        Map<String, String> reordered = new LinkedHashMap<>();
        reordered.put("a", "first");
        reordered.put("z", "last");
        ImageIndex again = ImageIndex.create(MediaType.OCI_INDEX, List.of(amd, arm), reordered);
        assertThat(again.digest()).isEqualTo(index.digest());
        assertThat(Arrays.equals(again.raw(), index.raw())).isTrue();
    }

    @Test
    void createsDockerManifestListAndRefusesManifestType() {
        ImageIndex list = ImageIndex.create(MediaType.DOCKER_MANIFEST_LIST, List.of(entry("linux/amd64")), null);
        assertThat(list.mediaType()).isEqualTo(MediaType.DOCKER_MANIFEST_LIST);
        assertThat(new String(list.raw(), StandardCharsets.UTF_8)).doesNotContain("annotations");
        assertThatThrownBy(() -> ImageIndex.create(MediaType.OCI_MANIFEST, List.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(MediaType.OCI_MANIFEST);
    }
}
