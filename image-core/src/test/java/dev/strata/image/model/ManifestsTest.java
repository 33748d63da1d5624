package dev.strata.image.model;

import dev.strata.image.ErrorKind;
import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Covers {@link Manifests}: valid OCI/Docker manifests and indexes, and a table of hostile documents with paths. */
class ManifestsTest {
    static final String A = "sha256:" + "a".repeat(64);
    static final String B = "sha256:" + "b".repeat(64);
    static final String C = "sha256:" + "c".repeat(64);
    static final String OCI_M = MediaType.OCI_MANIFEST;
    static final String OCI_I = MediaType.OCI_INDEX;
    static final String DOCKER_M = MediaType.DOCKER_MANIFEST;
    static final String DOCKER_L = MediaType.DOCKER_MANIFEST_LIST;

    static final String CONFIG = "{'mediaType':'" + MediaType.OCI_CONFIG + "','digest':'" + A + "','size':7}";
    static final String LAYER_B = "{'mediaType':'" + MediaType.OCI_LAYER_GZIP + "','digest':'" + B + "','size':100}";
    static final String LAYER_C = "{'mediaType':'" + MediaType.OCI_LAYER_ZSTD + "','digest':'" + C + "','size':0}";
    static final String OCI_MANIFEST = "{'schemaVersion':2,'mediaType':'" + OCI_M + "','config':" + CONFIG
            + ",'layers':[" + LAYER_B + "," + LAYER_C + "]}";
    static final String ENTRY_AMD64 = "{'mediaType':'" + OCI_M + "','digest':'" + A
            + "','size':500,'platform':{'architecture':'amd64','os':'linux'}}";
    static final String ENTRY_ARM = "{'mediaType':'" + OCI_M + "','digest':'" + B
            + "','size':501,'platform':{'architecture':'arm','os':'linux','variant':'v7','os.version':'x',"
            + "'os.features':['f']}}";

    /** Test JSON is written with single quotes for readability. */
    static byte[] j(String singleQuoted) {
        return singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(byte[] raw) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw));
    }

    enum Kind { MANIFEST, INDEX }

    static Stream<Arguments> valid() {
        return Stream.of(
                valid("OCI manifest, type in body and transport", OCI_MANIFEST, OCI_M, Kind.MANIFEST, OCI_M),
                valid("OCI manifest, no transport type", OCI_MANIFEST, null, Kind.MANIFEST, OCI_M),
                valid("OCI manifest without mediaType in body: inferred from structure",
                        "{'schemaVersion':2,'config':" + CONFIG + ",'layers':[]}", null, Kind.MANIFEST, OCI_M),
                valid("manifest without body mediaType takes the transport's",
                        "{'schemaVersion':2,'config':" + CONFIG + ",'layers':[" + LAYER_B + "]}", DOCKER_M,
                        Kind.MANIFEST, DOCKER_M),
                valid("transport type with parameters and odd case", OCI_MANIFEST,
                        "Application/vnd.oci.image.manifest.v1+json; charset=utf-8", Kind.MANIFEST, OCI_M),
                valid("generic transport type is ignored", OCI_MANIFEST, "application/json", Kind.MANIFEST, OCI_M),
                valid("Docker v2 schema2 manifest",
                        "{'schemaVersion':2,'mediaType':'" + DOCKER_M + "','config':{'mediaType':'"
                                + MediaType.DOCKER_CONFIG + "','size':1469,'digest':'" + A + "'},'layers':[{"
                                + "'mediaType':'" + MediaType.DOCKER_LAYER_GZIP + "','size':2,'digest':'" + B
                                + "'}]}", DOCKER_M, Kind.MANIFEST, DOCKER_M),
                valid("unknown fields everywhere are ignored",
                        "{'schemaVersion':2,'mediaType':'" + OCI_M + "','x-future':{'a':[1,2]},'config':{"
                                + "'mediaType':'" + MediaType.OCI_CONFIG + "','digest':'" + A + "','size':7,"
                                + "'data':'e30=','extra':true},'layers':[]}", OCI_M, Kind.MANIFEST, OCI_M),
                valid("null optional fields", "{'schemaVersion':2,'mediaType':'" + OCI_M + "','config':" + CONFIG
                        + ",'layers':[],'annotations':null,'subject':null}", OCI_M, Kind.MANIFEST, OCI_M),
                valid("pretty-printed with trailing newline",
                        "{\n  'schemaVersion': 2,\n  'config': " + CONFIG + ",\n  'layers': [ " + LAYER_B
                                + " ]\n}\n", OCI_M, Kind.MANIFEST, OCI_M),
                valid("OCI index without mediaType", "{'schemaVersion':2,'manifests':[" + ENTRY_AMD64 + "]}",
                        null, Kind.INDEX, OCI_I),
                valid("Docker manifest list", "{'schemaVersion':2,'mediaType':'" + DOCKER_L + "','manifests':["
                        + ENTRY_AMD64.replace(OCI_M, DOCKER_M) + "]}", DOCKER_L, Kind.INDEX, DOCKER_L),
                valid("empty index", "{'schemaVersion':2,'mediaType':'" + OCI_I + "','manifests':[]}", OCI_I,
                        Kind.INDEX, OCI_I));
    }

    static Arguments valid(String name, String json, String transport, Kind kind, String mediaType) {
        return Arguments.of(Named.of(name, j(json)), transport, kind, mediaType);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void parsesValidDocumentsKeepingRawBytes(byte[] raw, String transport, Kind kind, String mediaType)
            throws Exception {
        byte[] copy = raw.clone();
        ManifestDocument doc = Manifests.parse(raw, transport);
        assertThat(doc.mediaType()).isEqualTo(mediaType);
        assertThat(doc.schemaVersion()).isEqualTo(2);
        assertThat(doc.raw()).isEqualTo(copy);
        assertThat(doc.size()).isEqualTo(copy.length);
        assertThat(doc.digest().toString()).isEqualTo(sha256(copy));
        assertThat(doc.descriptor()).isEqualTo(new Descriptor(mediaType, doc.digest(), copy.length));
        if (doc instanceof ImageManifest m) {
            assertThat(kind).isEqualTo(Kind.MANIFEST);
            assertThat(m.config().digest()).isEqualTo(Digest.parse(A));
            assertThat(Manifests.parseManifest(raw, transport)).isEqualTo(m);
        } else {
            assertThat(kind).isEqualTo(Kind.INDEX);
            assertThat(Manifests.parseIndex(raw, transport)).isEqualTo((ImageIndex) doc);
        }
    }

    @Test
    void readsEveryManifestField() {
        String json = "{'schemaVersion':2,'mediaType':'" + OCI_M + "','artifactType':'application/x-test',"
                + "'config':" + CONFIG + ",'layers':[" + LAYER_B + ",{'mediaType':'" + MediaType.OCI_LAYER
                + "','digest':'" + C + "','size':9223372036854775807,'urls':['https://example.com/l'],"
                + "'annotations':{'k':'v'}}],'subject':{'mediaType':'" + OCI_M + "','digest':'" + C
                + "','size':3},'annotations':{'org.opencontainers.image.title':'t'}}";
        ImageManifest m = Manifests.parseManifest(j(json), OCI_M);
        assertThat(m.artifactType()).isEqualTo("application/x-test");
        assertThat(m.config()).isEqualTo(new Descriptor(MediaType.OCI_CONFIG, Digest.parse(A), 7));
        assertThat(m.layers()).hasSize(2);
        assertThat(m.layers().get(0)).isEqualTo(new Descriptor(MediaType.OCI_LAYER_GZIP, Digest.parse(B), 100));
        Descriptor big = m.layers().get(1);
        assertThat(big.size()).isEqualTo(Long.MAX_VALUE);
        assertThat(big.urls()).containsExactly("https://example.com/l");
        assertThat(big.annotation("k")).isEqualTo("v");
        assertThat(m.subject().digest()).isEqualTo(Digest.parse(C));
        assertThat(m.annotations()).containsExactly(java.util.Map.entry("org.opencontainers.image.title", "t"));
    }

    @Test
    void readsIndexEntriesWithPlatforms() {
        ImageIndex index = Manifests.parseIndex(j("{'schemaVersion':2,'manifests':[" + ENTRY_AMD64 + ","
                + ENTRY_ARM + "]}"), OCI_I);
        assertThat(index.manifests()).extracting(Descriptor::platform).containsExactly(
                new Platform("linux", "amd64"), new Platform("linux", "arm", "v7", "x", java.util.List.of("f")));
        assertThat(index.manifests().get(1).size()).isEqualTo(501);
    }

    @Test
    void rawBytesAreDefensivelyCopied() {
        byte[] raw = j(OCI_MANIFEST);
        ImageManifest m = Manifests.parseManifest(raw, OCI_M);
        Digest before = m.digest();
        Arrays.fill(raw, (byte) ' ');
        m.raw()[0] = 'X';
        assertThat(m.raw()).isEqualTo(j(OCI_MANIFEST));
        assertThat(m.digest()).isEqualTo(before);
    }

    @Test
    void constructorRefusesADigestThatIsNotOfTheRawBytes() {
        ImageManifest m = Manifests.parseManifest(j(OCI_MANIFEST), OCI_M);
        assertThatThrownBy(() -> new ImageManifest(2, OCI_M, null, m.config(), m.layers(), null, null,
                j(OCI_MANIFEST + " "), m.digest())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(m.digest().toString());
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() {
        byte[] deep = ("{\"schemaVersion\":2,\"annotations\":" + "[".repeat(100_000)).getBytes(StandardCharsets.UTF_8);
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () ->
                assertThatThrownBy(() -> Manifests.parse(deep, null)).isInstanceOf(InvalidImageException.class)
                        .hasMessageContaining("$.annotations[0]").hasMessageContaining("nesting depth"));
    }

    static Stream<Arguments> hostile() {
        String manifestHead = "{'schemaVersion':2,'mediaType':'" + OCI_M + "',";
        return Stream.of(
                hostile("duplicate top-level key", "{'schemaVersion':2,'schemaVersion':2,'config':" + CONFIG
                        + ",'layers':[]}", null, "$.schemaVersion: ", "Duplicate field 'schemaVersion'"),
                hostile("duplicate key inside a layer", manifestHead + "'config':" + CONFIG + ",'layers':[{'mediaType':'"
                        + MediaType.OCI_LAYER + "','digest':'" + B + "','digest':'" + C + "','size':1}]}", OCI_M,
                        "$.layers[0].digest: ", "Duplicate field 'digest'"),
                hostile("both manifest and index", manifestHead + "'config':" + CONFIG + ",'layers':[],'manifests':["
                        + ENTRY_AMD64 + "]}", OCI_M, "$: ", "both 'manifests'"),
                hostile("schema1 by schemaVersion", "{'schemaVersion':1,'name':'x','tag':'y','architecture':'amd64'}",
                        null, "$.schemaVersion: ", "Docker schema1 manifests are not supported; re-push"),
                hostile("schema1 by body media type", "{'schemaVersion':2,'mediaType':'"
                        + MediaType.DOCKER_MANIFEST_SCHEMA1 + "'}", null, "$.mediaType: ", "schema1"),
                hostile("schema1 by transport type", "{'schemaVersion':1}", MediaType.DOCKER_MANIFEST_SCHEMA1_SIGNED,
                        "$: ", "schema1"),
                hostile("schema1 by fsLayers", "{'schemaVersion':2,'fsLayers':[{'blobSum':'" + A + "'}]}", null,
                        "$.fsLayers: ", "re-push the image"),
                hostile("schema1 by signatures", "{'schemaVersion':2,'signatures':[]}", null, "$.signatures: ",
                        "schema1"),
                hostile("schemaVersion 3", "{'schemaVersion':3,'config':" + CONFIG + ",'layers':[]}", null,
                        "$.schemaVersion: ", "unsupported schemaVersion 3, expected 2"),
                hostile("schemaVersion missing", "{'config':" + CONFIG + ",'layers':[]}", null, "$.schemaVersion: ",
                        "required field is missing"),
                hostile("schemaVersion as string", "{'schemaVersion':'2','config':" + CONFIG + ",'layers':[]}", null,
                        "$.schemaVersion: ", "expected an integer, got string '2'"),
                hostile("body type disagrees with transport", OCI_MANIFEST, DOCKER_M, "$.mediaType: ",
                        "disagrees with the media type '" + DOCKER_M + "'"),
                hostile("body says index, transport says manifest", "{'schemaVersion':2,'mediaType':'" + OCI_I
                        + "','manifests':[]}", OCI_M, "$.mediaType: ", "disagrees"),
                hostile("index type with manifest structure", "{'schemaVersion':2,'config':" + CONFIG
                        + ",'layers':[]}", OCI_I, "$: ", "must not have 'config' or 'layers'"),
                hostile("unsupported body media type", "{'schemaVersion':2,'mediaType':'text/html','layers':[]}",
                        null, "$.mediaType: ", "unsupported media type 'text/html'"),
                hostile("cannot tell manifest from index", "{'schemaVersion':2}", null, "$: ", "cannot tell"),
                hostile("size beyond 64 bits", manifestHead + "'config':" + CONFIG.replace("'size':7",
                        "'size':99999999999999999999999") + ",'layers':[]}", OCI_M, "$.config.size: ",
                        "does not fit in 64 bits"),
                hostile("number with hundreds of digits", manifestHead + "'config':" + CONFIG.replace("'size':7",
                        "'size':" + "9".repeat(500)) + ",'layers':[]}", OCI_M, "$.config.size: ", "Number value length"),
                hostile("negative size", manifestHead + "'config':" + CONFIG + ",'layers':[" + LAYER_B.replace(
                        "'size':100", "'size':-1") + "]}", OCI_M, "$.layers[0].size: ", "must not be negative, got -1"),
                hostile("fractional size", manifestHead + "'config':" + CONFIG.replace("'size':7", "'size':7.5")
                        + ",'layers':[]}", OCI_M, "$.config.size: ", "expected an integer, got 7.5"),
                hostile("exponent size", manifestHead + "'config':" + CONFIG.replace("'size':7", "'size':1e400")
                        + ",'layers':[]}", OCI_M, "$.config.size: ", "expected an integer"),
                hostile("size as string", manifestHead + "'config':" + CONFIG.replace("'size':7", "'size':'7'")
                        + ",'layers':[]}", OCI_M, "$.config.size: ", "expected an integer, got string '7'"),
                hostile("layers as object", manifestHead + "'config':" + CONFIG + ",'layers':{'0':" + LAYER_B + "}}",
                        OCI_M, "$.layers: ", "expected an array, got object"),
                hostile("layer as string", manifestHead + "'config':" + CONFIG + ",'layers':['" + B + "']}", OCI_M,
                        "$.layers[0]: ", "expected an object, got string"),
                hostile("config missing", manifestHead + "'layers':[]}", OCI_M, "$.config: ", "required field is missing"),
                hostile("config null", manifestHead + "'config':null,'layers':[]}", OCI_M, "$.config: ",
                        "required field is null"),
                hostile("layers missing", manifestHead + "'config':" + CONFIG + "}", OCI_M, "$.layers: ",
                        "required field is missing"),
                hostile("descriptor digest missing", manifestHead + "'config':" + CONFIG + ",'layers':[" + LAYER_B
                        + ",{'mediaType':'" + MediaType.OCI_LAYER + "','size':1}]}", OCI_M, "$.layers[1].digest: ",
                        "required field is missing"),
                hostile("descriptor mediaType missing", manifestHead + "'config':{'digest':'" + A + "','size':7},"
                        + "'layers':[]}", OCI_M, "$.config.mediaType: ", "required field is missing"),
                hostile("descriptor mediaType empty", manifestHead + "'config':" + CONFIG.replace(MediaType.OCI_CONFIG,
                        "") + ",'layers':[]}", OCI_M, "$.config.mediaType: ", "must not be empty"),
                hostile("descriptor size missing", manifestHead + "'config':{'mediaType':'" + MediaType.OCI_CONFIG
                        + "','digest':'" + A + "'},'layers':[]}", OCI_M, "$.config.size: ", "required field is missing"),
                hostile("invalid digest", manifestHead + "'config':" + CONFIG + ",'layers':[" + LAYER_B + ","
                        + LAYER_C + "," + LAYER_C.replace(C, "sha256:zz") + "]}", OCI_M, "$.layers[2].digest: ",
                        "invalid digest 'sha256:zz'"),
                hostile("uppercase digest", manifestHead + "'config':" + CONFIG.replace(A, A.toUpperCase()
                        .replace("SHA256", "sha256")) + ",'layers':[]}", OCI_M, "$.config.digest: ", "uppercase"),
                hostile("unsupported digest algorithm", manifestHead + "'config':" + CONFIG.replace(A,
                        "md5:d41d8cd98f00b204e9800998ecf8427e") + ",'layers':[]}", OCI_M, "$.config.digest: ",
                        "unsupported algorithm 'md5'"),
                hostile("path traversal in digest", manifestHead + "'config':" + CONFIG.replace(A,
                        "sha256:../../etc/passwd") + ",'layers':[]}", OCI_M, "$.config.digest: ", "invalid digest"),
                hostile("annotation value not a string", manifestHead + "'config':" + CONFIG + ",'layers':[],"
                        + "'annotations':{'org.opencontainers.image.title':1}}", OCI_M,
                        "$.annotations['org.opencontainers.image.title']: ", "expected a string, got integer 1"),
                hostile("urls not strings", manifestHead + "'config':" + CONFIG + ",'layers':[" + LAYER_B.replace(
                        "}", ",'urls':[{}]}") + "]}", OCI_M, "$.layers[0].urls[0]: ", "expected a string, got object"),
                hostile("trailing garbage", OCI_MANIFEST + " x", OCI_M, "$: ", "unexpected content after"),
                hostile("two documents", OCI_MANIFEST + OCI_MANIFEST, OCI_M, "$: ", "unexpected content after"),
                hostile("root is an array", "[" + OCI_MANIFEST + "]", OCI_M, "$: ", "expected a JSON object, got array"),
                hostile("root is a string", "'manifest'", OCI_M, "$: ", "expected a JSON object"),
                hostile("empty input", "", OCI_M, "$: ", "empty document"),
                hostile("truncated document", OCI_MANIFEST.substring(0, 60), OCI_M, "$.mediaType: ", "Unexpected end-of-input"),
                hostile("comments are not JSON", "{/* hi */'schemaVersion':2}", null, "$: ", "invalid JSON"),
                hostile("index entry platform without architecture", "{'schemaVersion':2,'manifests':["
                        + ENTRY_AMD64.replace("'architecture':'amd64',", "") + "]}", OCI_I,
                        "$.manifests[0].platform.architecture: ", "required field is missing"),
                hostile("index entry platform os.features not array", "{'schemaVersion':2,'manifests':["
                        + ENTRY_ARM.replace("['f']", "'f'") + "]}", OCI_I,
                        "$.manifests[0].platform['os.features']: ", "expected an array, got string"),
                hostile("index manifests as string", "{'schemaVersion':2,'mediaType':'" + OCI_I + "','manifests':'x'}",
                        OCI_I, "$.manifests: ", "expected an array"),
                hostile("index without manifests", "{'schemaVersion':2,'mediaType':'" + OCI_I + "'}", OCI_I,
                        "$.manifests: ", "required field is missing"));
    }

    static Arguments hostile(String name, String json, String transport, String path, String message) {
        return Arguments.of(Named.of(name, j(json)), transport, path, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void rejectsHostileDocumentsNamingThePath(byte[] raw, String transport, String path, String message) {
        assertThatThrownBy(() -> Manifests.parse(raw, transport))
                .isInstanceOf(InvalidImageException.class)
                .hasMessageStartingWith(path)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((InvalidImageException) e).kind()).isEqualTo(ErrorKind.INVALID_IMAGE));
    }

    @Test
    void rejectsOversizedDocumentBeforeParsing() {
        byte[] big = new byte[Manifests.MAX_DOCUMENT_SIZE + 1];
        Arrays.fill(big, (byte) '[');
        assertThatThrownBy(() -> Manifests.parse(big, OCI_M)).isInstanceOf(InvalidImageException.class)
                .hasMessageStartingWith("$: manifest is 4194305 bytes").hasMessageContaining("4 MiB");
        assertThatThrownBy(() -> Manifests.parseConfig(big)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("image config is 4194305 bytes");
    }

    @Test
    void acceptsDocumentOfExactlyTheLimit() {
        String head = "{'schemaVersion':2,'config':" + CONFIG + ",'layers':[],'annotations':{'pad':'";
        String tail = "'}}";
        int pad = Manifests.MAX_DOCUMENT_SIZE - head.length() - tail.length();
        byte[] raw = j(head + "x".repeat(pad) + tail);
        assertThat(raw).hasSize(Manifests.MAX_DOCUMENT_SIZE);
        assertThat(Manifests.parseManifest(raw, null).annotations().get("pad")).hasSize(pad);
    }

    @Test
    void parseManifestRefusesAnIndexAndViceVersa() {
        byte[] index = j("{'schemaVersion':2,'manifests':[" + ENTRY_AMD64 + "]}");
        assertThatThrownBy(() -> Manifests.parseManifest(index, null)).isInstanceOf(InvalidImageException.class)
                .hasMessageStartingWith("$: expected an image manifest, got an index");
        assertThatThrownBy(() -> Manifests.parseIndex(j(OCI_MANIFEST), null)).isInstanceOf(InvalidImageException.class)
                .hasMessageStartingWith("$: expected an image index, got a manifest");
        assertThatThrownBy(() -> Manifests.parseManifest(j(OCI_MANIFEST), OCI_I))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("disagrees");
    }

    @Test
    void errorMessageNamesTheDocumentDigest() throws Exception {
        byte[] raw = j("{'schemaVersion':3}");
        assertThatThrownBy(() -> Manifests.parse(raw, null)).hasMessageContaining("(manifest " + sha256(raw) + ")");
    }
}
