package dev.strata.image.content;

import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.MediaType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ContentStore.gc: reachability through indexes and manifests, fail-safe on unreadable manifests, ingest cleanup. */
class GcTest {
    @TempDir
    Path dir;
    ContentStore store;

    @BeforeEach
    void setUp() throws IOException {
        store = ContentStore.open(dir);
    }

    /** A stored image: its manifest descriptor and every blob it uses. */
    record Image(Descriptor manifest, List<Digest> blobs) {
    }

    @Test
    void keepsWhatIndexJsonReachesAndRemovesTheRest() throws IOException {
        Image image = image("a", 2);
        store.tag("docker.io/library/a:1", image.manifest());
        Digest loose = store.put(bytes("loose"));
        Digest orphanLayer = store.put(bytes("orphan layer"));

        GcResult result = store.gc();

        assertThat(result.removed()).containsExactlyInAnyOrder(loose, orphanLayer);
        assertThat(result.bytesFreed()).isEqualTo(bytes("loose").length + bytes("orphan layer").length);
        assertThat(result.reachable()).isEqualTo(image.blobs().size());
        assertThat(stored()).containsExactlyInAnyOrderElementsOf(image.blobs());
        assertThat(store.gc().removed()).isEmpty();
    }

    @Test
    void followsNestedIndexesAndSubjects() throws IOException {
        Image amd64 = image("amd64", 1);
        Image arm64 = image("arm64", 3);
        Descriptor inner = index(List.of(arm64.manifest()));
        Descriptor outer = index(List.of(amd64.manifest(), inner));
        Image referrer = imageWithSubject("sig", amd64.manifest());
        Descriptor top = index(List.of(outer, referrer.manifest()));
        store.tag("multi", top);
        Digest garbage = store.put(bytes("garbage"));

        GcResult result = store.gc();

        assertThat(result.removed()).containsExactly(garbage);
        List<Digest> expected = new ArrayList<>(amd64.blobs());
        expected.addAll(arm64.blobs());
        expected.addAll(referrer.blobs());
        expected.addAll(List.of(inner.digest(), outer.digest(), top.digest()));
        assertThat(stored()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void untaggedEntriesOfIndexJsonAreRootsToo() throws IOException {
        Image image = image("untagged", 1);
        store.tag("t", image.manifest());
        // Another tool may leave entries without a name; they are still roots.
        String json = Files.readString(dir.resolve("index.json")).replace(
                "\"org.opencontainers.image.ref.name\":\"t\"", "\"x\":\"y\"");
        Files.writeString(dir.resolve("index.json"), json);
        assertThat(store.gc().removed()).isEmpty();
        assertThat(stored()).containsExactlyInAnyOrderElementsOf(image.blobs());
    }

    @Test
    void untagThenGcRemovesTheImageButKeepsSharedBlobs() throws IOException {
        Image one = image("shared", 2);
        Image two = image("shared", 2); // same content: same blobs
        Image other = image("other", 1);
        store.tag("one", one.manifest());
        store.tag("two", two.manifest());
        store.tag("other", other.manifest());

        store.untag("one");
        assertThat(store.gc().removed()).isEmpty();
        store.untag("two");
        assertThat(store.gc().removed()).containsExactlyInAnyOrderElementsOf(one.blobs());
        assertThat(stored()).containsExactlyInAnyOrderElementsOf(other.blobs());
    }

    @Test
    void missingManifestIsNotAnError() throws IOException {
        Image image = image("m", 1);
        store.tag("m", image.manifest());
        store.delete(image.manifest().digest());
        Digest loose = store.put(bytes("loose"));
        assertThat(store.gc().removed()).contains(loose);
    }

    @Test
    void unknownMediaTypesAreLeaves() throws IOException {
        Digest child = store.put(bytes("child"));
        byte[] odd = ("{\"layers\":[" + descriptorJson("application/octet-stream", child, 5) + "]}")
                .getBytes(StandardCharsets.UTF_8);
        Descriptor leaf = new Descriptor("application/vnd.example.thing+json", store.put(odd), odd.length);
        store.tag("leaf", leaf);
        assertThat(store.gc().removed()).containsExactly(child);
        assertThat(store.exists(leaf.digest())).isTrue();
    }

    static Stream<Arguments> oddManifests() {
        Function<String, String> m = body -> "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\"," + body + "}";
        String okConfig = "\"config\":" + descriptorJson(MediaType.OCI_CONFIG, Digest.sha256(bytes("c")), 1);
        return Stream.of(
                Arguments.of("not JSON", "{\"layers\": ["),
                Arguments.of("JSON array", "[]"),
                Arguments.of("layers not an array", m.apply(okConfig + ",\"layers\":{}")),
                Arguments.of("config not an object", m.apply("\"config\":\"sha256:abc\"")),
                Arguments.of("layer with bad digest", m.apply(okConfig + ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"sha256:../x\",\"size\":1}]")),
                Arguments.of("layer without digest", m.apply(okConfig + ",\"layers\":[{\"mediaType\":\"x\",\"size\":1}]")),
                Arguments.of("duplicate keys", m.apply(okConfig + "," + okConfig)),
                Arguments.of("over 4 MiB", m.apply(okConfig + ",\"pad\":\"" + "x".repeat(4 * 1024 * 1024) + "\"")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oddManifests")
    void oddReachableManifestMakesGcDeleteNothing(String name, String body) throws IOException {
        Image good = image("good", 1);
        store.tag("good", good.manifest());
        byte[] odd = body.getBytes(StandardCharsets.UTF_8);
        Descriptor oddManifest = new Descriptor(MediaType.OCI_MANIFEST, store.put(odd), odd.length);
        store.tag("odd", oddManifest);
        Digest loose = store.put(bytes("would be garbage"));
        List<Digest> before = stored();

        assertThatThrownBy(() -> store.gc()).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("nothing was deleted")
                .hasMessageContaining(oddManifest.digest().toString());

        assertThat(stored()).containsExactlyInAnyOrderElementsOf(before).contains(loose);
    }

    @Test
    void corruptReachableManifestMakesGcDeleteNothing() throws IOException {
        Image image = image("corrupt", 2);
        store.tag("c", image.manifest());
        Digest loose = store.put(bytes("loose"));
        Path blob = dir.resolve("blobs/sha256/" + image.manifest().digest().encoded());
        blob.toFile().setWritable(true);
        byte[] content = Files.readAllBytes(blob);
        content[content.length - 2] = ' ';
        Files.write(blob, content);

        assertThatThrownBy(() -> store.gc()).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("nothing was deleted");
        assertThat(store.exists(loose)).isTrue();
    }

    @Test
    void removesStaleIngestFilesOnly() throws IOException {
        Path ingest = dir.resolve("ingest");
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(48)));
        Path staleTemp = Files.writeString(ingest.resolve("tmp-1234.part"), "x");
        Path staleIndexTemp = Files.writeString(ingest.resolve("index.json.abc.tmp"), "x");
        byte[] content = bytes("partial content of a blob");
        Digest abandoned = Digest.sha256(content);
        try (ContentWriter w = store.writer(abandoned, content.length)) {
            w.write(content, 0, 10);
        }
        Path stalePart = ingest.resolve(abandoned.encoded() + ".part");
        Path freshTemp = Files.writeString(ingest.resolve("tmp-5678.part"), "x");
        Path foreign = Files.writeString(ingest.resolve("README"), "not ours");
        for (Path p : List.of(staleTemp, staleIndexTemp, stalePart, foreign)) {
            Files.setLastModifiedTime(p, old);
        }
        // A partial write in progress is stale by age but locked: it stays.
        byte[] busyContent = bytes("busy");
        Digest busy = Digest.sha256(busyContent);
        try (ContentWriter w = store.writer(busy, busyContent.length)) {
            w.write(busyContent, 0, 2);
            w.flush();
            Path busyPart = ingest.resolve(busy.encoded() + ".part");
            Files.setLastModifiedTime(busyPart, old);

            GcResult result = store.gc(Duration.ofHours(24));

            assertThat(result.staleIngestRemoved()).isEqualTo(3);
            assertThat(staleTemp).doesNotExist();
            assertThat(staleIndexTemp).doesNotExist();
            assertThat(stalePart).doesNotExist();
            assertThat(freshTemp).exists();
            assertThat(foreign).exists();
            assertThat(busyPart).exists();
            w.write(busyContent, 2, busyContent.length - 2);
            w.commit();
        }
        assertThat(store.exists(busy)).isTrue();
    }

    // ------------------------------------------------------------ builders

    private Image image(String seed, int layers) throws IOException {
        List<Digest> blobs = new ArrayList<>();
        byte[] config = bytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"" + seed + "\"}");
        Digest configDigest = store.put(config);
        blobs.add(configDigest);
        StringBuilder layerJson = new StringBuilder();
        for (int i = 0; i < layers; i++) {
            byte[] layer = bytes("layer " + i + " of " + seed);
            Digest d = store.put(layer);
            blobs.add(d);
            layerJson.append(i == 0 ? "" : ",").append(descriptorJson(MediaType.OCI_LAYER_GZIP, d, layer.length));
        }
        byte[] manifest = bytes("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"config\":"
                + descriptorJson(MediaType.OCI_CONFIG, configDigest, config.length) + ",\"layers\":[" + layerJson + "]}");
        Digest manifestDigest = store.put(manifest);
        blobs.add(manifestDigest);
        return new Image(new Descriptor(MediaType.OCI_MANIFEST, manifestDigest, manifest.length), blobs);
    }

    private Image imageWithSubject(String seed, Descriptor subject) throws IOException {
        byte[] config = bytes("{}" + seed);
        Digest configDigest = store.put(config);
        byte[] manifest = bytes("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"config\":"
                + descriptorJson(MediaType.OCI_EMPTY, configDigest, config.length) + ",\"layers\":[],\"subject\":"
                + descriptorJson(subject.mediaType(), subject.digest(), subject.size()) + "}");
        Digest d = store.put(manifest);
        return new Image(new Descriptor(MediaType.OCI_MANIFEST, d, manifest.length), List.of(configDigest, d));
    }

    private Descriptor index(List<Descriptor> children) throws IOException {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"manifests\":[");
        for (int i = 0; i < children.size(); i++) {
            Descriptor c = children.get(i);
            sb.append(i == 0 ? "" : ",").append(descriptorJson(c.mediaType(), c.digest(), c.size()));
        }
        byte[] json = bytes(sb.append("]}").toString());
        return new Descriptor(MediaType.OCI_INDEX, store.put(json), json.length);
    }

    static String descriptorJson(String mediaType, Digest digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<Digest> stored() throws IOException {
        List<Digest> out = new ArrayList<>();
        store.walk(b -> out.add(b.digest()));
        return out;
    }
}
