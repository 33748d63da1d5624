package dev.strata.image.content;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.image.DigestMismatchException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.InvalidDigestException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.InvalidReferenceException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ContentStore on real files: layout creation/validation, verified writes, resume, reads, walk, tags, index.json. */
class ContentStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Path dir;
    ContentStore store;

    @BeforeEach
    void setUp() throws IOException {
        dir = tmp.resolve("layout");
        store = ContentStore.open(dir);
    }

    // ------------------------------------------------------------ layout

    @Test
    void openCreatesAnEmptyLayout() throws IOException {
        assertThat(Files.readString(dir.resolve("oci-layout"))).isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
        JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
        assertThat(index.get("schemaVersion").asInt()).isEqualTo(2);
        assertThat(index.get("manifests").size()).isZero();
        assertThat(dir.resolve("blobs/sha256")).isDirectory();
        assertThat(dir.resolve("ingest")).isDirectory();
        assertThat(ContentStore.open(dir).index()).isEmpty();
    }

    @Test
    void openCompletesAnInterruptedCreation() throws IOException {
        Path half = tmp.resolve("half");
        Files.createDirectories(half);
        Files.writeString(half.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
        ContentStore.open(half);
        assertThat(Files.readString(half.resolve("oci-layout"))).contains("1.0.0");
    }

    static Stream<Arguments> brokenLayouts() {
        String okLayout = "{\"imageLayoutVersion\":\"1.0.0\"}";
        String okIndex = "{\"schemaVersion\":2,\"manifests\":[]}";
        return Stream.of(
                Arguments.of("future layout version", "{\"imageLayoutVersion\":\"2.0.0\"}", okIndex, "imageLayoutVersion '2.0.0'"),
                Arguments.of("layout version missing", "{}", okIndex, "imageLayoutVersion missing"),
                Arguments.of("layout not JSON", "nope", okIndex, "not valid JSON"),
                Arguments.of("index.json missing", okLayout, null, "no index.json"),
                Arguments.of("index.json not JSON", okLayout, "{\"schemaVersion\":2,", "not valid JSON"),
                Arguments.of("index.json an array", okLayout, "[]", "must be a JSON object"),
                Arguments.of("schemaVersion 1", okLayout, "{\"schemaVersion\":1,\"manifests\":[]}", "schemaVersion must be 2"),
                Arguments.of("manifests not an array", okLayout, "{\"schemaVersion\":2,\"manifests\":{}}", "manifests must be an array"),
                Arguments.of("duplicate keys", okLayout, "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}", "not valid JSON"),
                Arguments.of("entry with traversal digest", okLayout, indexWithDigest("sha256:../../../etc/passwd"), "manifests[0].digest"),
                Arguments.of("index.json over 4 MiB", okLayout, "{\"schemaVersion\":2,\"manifests\":[]," + "\"x\":\""
                        + "a".repeat(4 * 1024 * 1024) + "\"}", "byte cap"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenLayouts")
    void openRejectsBrokenLayouts(String name, String layout, String index, String message) throws IOException {
        Path d = tmp.resolve("broken");
        Files.createDirectories(d);
        Files.writeString(d.resolve("oci-layout"), layout);
        if (index != null) {
            Files.writeString(d.resolve("index.json"), index);
        }
        assertThatThrownBy(() -> ContentStore.open(d)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining(message);
    }

    @Test
    void openRejectsAFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> ContentStore.open(file)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("not a directory");
    }

    // ------------------------------------------------------------ writes

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4096, 256 * 1024, 256 * 1024 + 1, 3 * 1024 * 1024 + 7})
    void writesAndReadsBackVerified(int size) throws IOException {
        byte[] content = bytes(size, size);
        Digest digest = Digest.sha256(content);

        BlobInfo info = store.write(new ByteArrayInputStream(content), digest, size);

        assertThat(info.digest()).isEqualTo(digest);
        assertThat(info.size()).isEqualTo(size);
        assertThat(store.exists(digest)).isTrue();
        assertThat(store.info(digest)).contains(info);
        try (InputStream in = store.open(digest, true)) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(Files.readAllBytes(dir.resolve("blobs/sha256/" + digest.encoded()))).isEqualTo(content);
        assertThat(ingestFiles()).isEmpty();
    }

    @Test
    void writesWithUnknownDigestAndSize() throws IOException {
        byte[] content = bytes(100_000, 3);
        BlobInfo info = store.write(new ByteArrayInputStream(content), null, -1);
        assertThat(info.digest()).isEqualTo(Digest.sha256(content));
        assertThat(store.readSmall(info.digest())).isEqualTo(content);
        assertThat(ingestFiles()).isEmpty();

        Digest put = store.put("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(put).isEqualTo(Digest.sha256("hello".getBytes(StandardCharsets.UTF_8)));
        assertThat(store.readSmall(put)).asString(StandardCharsets.UTF_8).isEqualTo("hello");
    }

    static Stream<Arguments> mismatches() {
        byte[] content = bytes(10_000, 1);
        Digest right = Digest.sha256(content);
        Digest wrong = Digest.sha256(new byte[] {1});
        return Stream.of(
                Arguments.of("wrong digest", content, wrong, content.length),
                Arguments.of("declared size larger", content, right, content.length + 1),
                Arguments.of("declared size smaller", content, right, content.length - 1),
                Arguments.of("computed digest, wrong size", content, null, 5),
                Arguments.of("empty content, wrong digest", new byte[0], wrong, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mismatches")
    void mismatchStoresNothing(String name, byte[] content, Digest expected, long size) throws IOException {
        Digest kept = store.put("already here".getBytes(StandardCharsets.UTF_8));
        List<BlobInfo> before = blobs();

        assertThatThrownBy(() -> store.write(new ByteArrayInputStream(content), expected, size))
                .isInstanceOf(DigestMismatchException.class);

        assertThat(blobs()).isEqualTo(before);
        assertThat(blobFileNames()).containsExactly(kept.encoded());
        assertThat(ingestFiles()).noneMatch(f -> f.endsWith(".part") || f.endsWith(".tmp"));
    }

    @Test
    void existingBlobIsNotRewritten() throws IOException {
        byte[] content = bytes(5000, 9);
        Digest digest = store.put(content);
        Path blob = dir.resolve("blobs/sha256/" + digest.encoded());
        Files.setLastModifiedTime(blob, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        BasicFileAttributes before = Files.readAttributes(blob, BasicFileAttributes.class);

        assertThat(store.put(content)).isEqualTo(digest);
        store.write(new ByteArrayInputStream(content), digest, content.length);
        try (ContentWriter w = store.writer(digest, content.length)) {
            assertThat(w.alreadyExists()).isTrue();
            assertThat(w.offset()).isEqualTo(content.length);
            w.write(new byte[] {1, 2, 3}); // ignored: the blob is done
            assertThat(w.commit().digest()).isEqualTo(digest);
        }
        // A stream that would not even match is not read when the blob exists.
        store.write(new ByteArrayInputStream(new byte[0]), digest, content.length);

        BasicFileAttributes after = Files.readAttributes(blob, BasicFileAttributes.class);
        assertThat(after.fileKey()).isEqualTo(before.fileKey());
        assertThat(after.lastModifiedTime()).isEqualTo(before.lastModifiedTime());
        assertThat(Files.readAllBytes(blob)).isEqualTo(content);
    }

    @Test
    void blobsAreReadOnly() throws IOException {
        Digest a = store.put(bytes(10, 1));
        Digest b = store.write(new ByteArrayInputStream(bytes(20, 2)), null, -1).digest();
        for (Digest d : List.of(a, b)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    dir.resolve("blobs/sha256/" + d.encoded())))).isEqualTo("r--r--r--");
        }
    }

    @Test
    void resumesAnAbandonedWriteAtItsOffset() throws IOException {
        byte[] content = bytes(1_000_000, 5);
        Digest digest = Digest.sha256(content);
        try (ContentWriter w = store.writer(digest, content.length)) {
            assertThat(w.offset()).isZero();
            w.write(content, 0, 400_000);
            // closed without commit
        }
        assertThat(store.exists(digest)).isFalse();
        assertThat(dir.resolve("ingest/" + digest.encoded() + ".part")).hasSize(400_000);

        try (ContentWriter w = store.writer(digest, content.length)) {
            assertThat(w.offset()).isEqualTo(400_000);
            w.write(content, 400_000, 300_000);
        }
        // The convenience method skips what is already there and appends the rest.
        BlobInfo info = store.write(new ByteArrayInputStream(content), digest, content.length);
        assertThat(info.size()).isEqualTo(content.length);
        assertThat(store.readSmall(digest)).isEqualTo(content);
        assertThat(ingestFiles()).isEmpty();
    }

    @Test
    void resumeOfACorruptPrefixFailsCleanlyAndTheNextWriteSucceeds() throws IOException {
        byte[] content = bytes(100_000, 6);
        Digest digest = Digest.sha256(content);
        Files.write(dir.resolve("ingest/" + digest.encoded() + ".part"), bytes(50_000, 77));

        assertThatThrownBy(() -> store.write(new ByteArrayInputStream(content), digest, content.length))
                .isInstanceOf(DigestMismatchException.class);
        assertThat(blobFileNames()).isEmpty();

        store.write(new ByteArrayInputStream(content), digest, content.length);
        assertThat(store.readSmall(digest)).isEqualTo(content);
    }

    @Test
    void discardDeletesThePartialData() throws IOException {
        byte[] content = bytes(1000, 8);
        Digest digest = Digest.sha256(content);
        try (ContentWriter w = store.writer(digest, content.length)) {
            w.write(content, 0, 500);
            w.discard();
        }
        try (ContentWriter w = store.writer(digest, content.length)) {
            assertThat(w.offset()).isZero();
        }
    }

    @Test
    void writingMoreThanTheExpectedSizeFailsAtOnce() throws IOException {
        Digest digest = Digest.sha256(bytes(10, 1));
        try (ContentWriter w = store.writer(digest, 10)) {
            w.write(new byte[8]);
            assertThatThrownBy(() -> w.write(new byte[8])).isInstanceOf(DigestMismatchException.class)
                    .hasMessageContaining("longer than the expected 10 bytes");
        }
        assertThat(ingestFiles()).noneMatch(f -> f.endsWith(".part"));
    }

    @Test
    void twoWritersOfOneDigestInOneThreadFailInsteadOfDeadlocking() throws IOException {
        Digest digest = Digest.sha256(bytes(10, 1));
        try (ContentWriter first = store.writer(digest, 10)) {
            assertThatThrownBy(() -> store.writer(digest, 10)).isInstanceOf(FailedPreconditionException.class);
            first.write(bytes(10, 1));
            first.commit();
        }
        assertThat(store.exists(digest)).isTrue();
    }

    // ------------------------------------------------------------ reads

    @Test
    void walkListsBlobsAndSkipsJunk() throws IOException {
        Digest a = store.put(bytes(10, 1));
        Digest b = store.put(bytes(20, 2));
        Path sha = dir.resolve("blobs/sha256");
        Files.writeString(sha.resolve("notahex"), "junk");
        Files.writeString(sha.resolve(a.encoded().toUpperCase()), "junk");
        Files.writeString(sha.resolve("0".repeat(63)), "junk");
        Files.createDirectories(sha.resolve("1".repeat(64)));
        Files.createSymbolicLink(sha.resolve("2".repeat(64)), Files.writeString(tmp.resolve("outside"), "secret"));
        Files.createDirectories(dir.resolve("blobs/md5"));
        Files.writeString(dir.resolve("blobs/md5/" + "3".repeat(32)), "junk");

        List<BlobInfo> seen = new ArrayList<>();
        store.walk(seen::add);

        assertThat(seen).extracting(BlobInfo::digest).containsExactlyInAnyOrder(a, b);
        assertThat(seen).extracting(BlobInfo::size).containsExactlyInAnyOrder(10L, 20L);
        // A symlink under a blob's name is refused, never followed (issue 17 point 2): it used to read as "absent".
        assertThatThrownBy(() -> store.info(Digest.parse("sha256:" + "2".repeat(64))))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> store.open(Digest.parse("sha256:" + "2".repeat(64)), false))
                .isInstanceOf(InvalidImageException.class);
    }

    @Test
    void infoDeleteAndNotFound() throws IOException {
        Digest d = store.put(bytes(42, 4));
        assertThat(store.info(d)).get().satisfies(i -> {
            assertThat(i.size()).isEqualTo(42);
            assertThat(i.modified()).isBefore(Instant.now().plusSeconds(5));
        });
        assertThat(store.delete(d)).isTrue();
        assertThat(store.delete(d)).isFalse();
        assertThat(store.exists(d)).isFalse();
        assertThat(store.info(d)).isEmpty();
        assertThatThrownBy(() -> store.open(d, true)).isInstanceOf(NotFoundException.class).hasMessageContaining(d.toString());
        assertThatThrownBy(() -> store.readSmall(d)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void tamperedBlobFailsVerification() throws IOException {
        byte[] content = bytes(1000, 1);
        Digest d = store.put(content);
        Path blob = dir.resolve("blobs/sha256/" + d.encoded());
        Files.setPosixFilePermissions(blob, PosixFilePermissions.fromString("rw-r--r--"));
        content[500] ^= 1;
        Files.write(blob, content);

        assertThatThrownBy(() -> store.readSmall(d)).isInstanceOf(DigestMismatchException.class);
        try (InputStream in = store.open(d, false)) {
            assertThat(in.readAllBytes()).isEqualTo(content); // unverified reads are the caller's risk
        }
    }

    @Test
    void readSmallRefusesBlobsOverTheCap() throws IOException {
        Digest d = store.put(bytes(2000, 1));
        assertThat(store.readSmall(d, 2000)).hasSize(2000);
        assertThatThrownBy(() -> store.readSmall(d, 1999)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("over the cap");
    }

    // ------------------------------------------------------------ names

    @Test
    void tagResolveReplaceUntag() throws IOException {
        Descriptor one = manifest("one");
        Descriptor two = manifest("two");
        String name = "docker.io/library/busybox:latest";

        store.tag(name, one);
        assertThat(store.resolve(name)).get().satisfies(d -> {
            assertThat(d.digest()).isEqualTo(one.digest());
            assertThat(d.annotation(Descriptor.REF_NAME_ANNOTATION)).isEqualTo(name);
        });

        store.tag(name, two);
        store.tag("localhost:5000/app@" + one.digest(), one);
        assertThat(store.resolve(name)).get().extracting(Descriptor::digest).isEqualTo(two.digest());
        assertThat(store.index()).hasSize(2);
        assertThat(store.tags()).containsExactly("docker.io/library/busybox:latest", "localhost:5000/app@" + one.digest());

        assertThat(store.untag(name)).isTrue();
        assertThat(store.untag(name)).isFalse();
        assertThat(store.resolve(name)).isEmpty();
        assertThat(store.tags()).containsExactly("localhost:5000/app@" + one.digest());
        assertThat(store.exists(two.digest())).isTrue(); // untag leaves content to gc
    }

    @Test
    void tagRefusesMissingBlobsAndWrongSizes() throws IOException {
        Descriptor missing = new Descriptor(MediaType.OCI_MANIFEST, Digest.sha256(new byte[] {9}), 1);
        assertThatThrownBy(() -> store.tag("a", missing)).isInstanceOf(NotFoundException.class);
        Descriptor m = manifest("x");
        Descriptor lying = new Descriptor(m.mediaType(), m.digest(), m.size() + 1);
        assertThatThrownBy(() -> store.tag("a", lying)).isInstanceOf(DigestMismatchException.class);
        assertThat(store.index()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-a", "a-", "a..b", "a.-b", "a__b", "a---b", "a/", "/a", "a//b", "a b", "a\nb",
            "é", "a:", ":a", "a/../b", "../x", "a\u0000b"})
    void invalidNamesAreRejected(String name) throws IOException {
        Descriptor m = manifest("n");
        assertThatThrownBy(() -> store.tag(name, m)).isInstanceOf(InvalidReferenceException.class)
                .hasMessageContaining("ref.name grammar");
        assertThatThrownBy(() -> store.resolve(name)).isInstanceOf(InvalidReferenceException.class);
        assertThat(store.index()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"t", "latest", "busybox:latest", "docker.io/library/busybox:latest", "a--b", "a_b",
            "localhost:5000/foo/bar:1.0", "quay.io/x/y@sha256:abc", "v1+build.7", "A/B:C"})
    void validNamesAreAccepted(String name) throws IOException {
        Descriptor m = manifest("v");
        store.tag(name, m);
        assertThat(store.resolve(name)).get().extracting(Descriptor::digest).isEqualTo(m.digest());
    }

    @Test
    void overlongNameIsRejected() throws IOException {
        Descriptor m = manifest("long");
        assertThatThrownBy(() -> store.tag("a".repeat(1025), m)).isInstanceOf(InvalidReferenceException.class);
        store.tag("a".repeat(1024), m);
    }

    @Test
    void indexJsonKeepsOtherToolsFieldsAndRoundTripsDescriptors() throws IOException {
        Descriptor m = manifest("keep");
        String foreign = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"x-tool\":{\"k\":[1,2]},"
                + "\"manifests\":[{\"mediaType\":\"" + m.mediaType() + "\",\"digest\":\"" + m.digest() + "\",\"size\":"
                + m.size() + ",\"x-extra\":true,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
                + "\"variant\":\"v8\"},\"annotations\":{\"org.opencontainers.image.ref.name\":\"other\",\"k\":\"v\"}}]}";
        Files.writeString(dir.resolve("index.json"), foreign);

        Descriptor withAll = new Descriptor(m.mediaType(), m.digest(), m.size(), List.of("https://example.com/b"),
                Map.of("org.example", "yes"), new Platform("linux", "amd64", null, "10.0", List.of("sse4")),
                "application/x-artifact");
        store.tag("mine", withAll);

        JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
        assertThat(index.get("x-tool").toString()).isEqualTo("{\"k\":[1,2]}");
        assertThat(index.get("manifests").get(0).get("x-extra").asBoolean()).isTrue();
        Descriptor other = store.resolve("other").orElseThrow();
        assertThat(other.platform()).isEqualTo(new Platform("linux", "arm64", "v8"));
        assertThat(other.annotation("k")).isEqualTo("v");
        Descriptor mine = store.resolve("mine").orElseThrow();
        assertThat(mine.urls()).isEqualTo(withAll.urls());
        assertThat(mine.platform()).isEqualTo(withAll.platform());
        assertThat(mine.artifactType()).isEqualTo(withAll.artifactType());
        assertThat(mine.annotations()).containsEntry("org.example", "yes")
                .containsEntry(Descriptor.REF_NAME_ANNOTATION, "mine");
    }

    @Test
    void ambiguousNameIsAnInvalidImage() throws IOException {
        Descriptor m = manifest("dup");
        String entry = "{\"mediaType\":\"" + m.mediaType() + "\",\"digest\":\"" + m.digest() + "\",\"size\":" + m.size()
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"dup\"}}";
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + entry + "," + entry + "]}");
        assertThatThrownBy(() -> store.resolve("dup")).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("2 entries");
        store.tag("dup", m); // tagging repairs it
        assertThat(store.index()).hasSize(1);
    }

    @Test
    void indexJsonIsReplacedAtomicallyWithoutLeftovers() throws IOException {
        Descriptor m = manifest("atomic");
        for (int i = 0; i < 30; i++) {
            store.tag("name" + i, m);
            JSON.readTree(dir.resolve("index.json").toFile()); // always a complete document
        }
        for (int i = 0; i < 30; i += 2) {
            store.untag("name" + i);
        }
        assertThat(store.tags()).hasSize(15);
        try (Stream<Path> top = Files.list(dir)) {
            assertThat(top.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("oci-layout", "index.json", "index.json.lock", "blobs", "ingest");
        }
        assertThat(ingestFiles()).isEmpty();
    }

    static Stream<String> hostileDigests() {
        return Stream.of("sha256:../../../../tmp/pwned", "sha256:" + "A".repeat(64), "../sha256:" + "a".repeat(64),
                "sha256:" + "a".repeat(63) + "/", "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:", ":abc",
                "sha256:" + "a".repeat(64) + "\u0000", "sha256/" + "a".repeat(64), "/etc/passwd");
    }

    @ParameterizedTest
    @MethodSource("hostileDigests")
    void invalidDigestStringsNeverBecomePaths(String digest) throws IOException {
        assertThatThrownBy(() -> Digest.parse(digest)).isInstanceOf(InvalidDigestException.class);
        Files.writeString(dir.resolve("index.json"), indexWithDigest(digest));
        assertThatThrownBy(() -> store.index()).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("manifests[0].digest");
        assertThatThrownBy(() -> store.resolve("x")).isInstanceOf(InvalidImageException.class);
        assertThatThrownBy(() -> store.gc()).isInstanceOf(InvalidImageException.class);
        assertThat(tmp.getParent().resolve("pwned")).doesNotExist();
        assertThat(Path.of("/tmp/pwned")).doesNotExist();
    }

    // ------------------------------------------------------------ helpers

    private Descriptor manifest(String seed) throws IOException {
        byte[] json = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"seed\":\"" + seed + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        return new Descriptor(MediaType.OCI_MANIFEST, store.put(json), json.length);
    }

    private static String indexWithDigest(String digest) {
        return "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":"
                + JSON.valueToTree(digest) + ",\"size\":1,\"annotations\":{\"org.opencontainers.image.ref.name\":\"x\"}}]}";
    }

    static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new java.util.SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private List<BlobInfo> blobs() throws IOException {
        List<BlobInfo> out = new ArrayList<>();
        store.walk(out::add);
        return out;
    }

    private List<String> blobFileNames() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("blobs/sha256"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private List<String> ingestFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("ingest"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".lock")).sorted().toList();
        }
    }
}
