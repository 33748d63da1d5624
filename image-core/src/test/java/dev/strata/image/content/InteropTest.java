package dev.strata.image.content;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.MediaType;
import dev.strata.image.testing.Capabilities;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** A ContentStore layout is read and written by skopeo and umoci, with Strata's naming scheme (full references). */
class InteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HELLO = "hello from strata\n";

    @TempDir
    Path tmp;

    @BeforeEach
    void requireTools() {
        Capabilities.require(Capabilities.hasTool("skopeo"), "skopeo is not installed");
        Capabilities.require(Capabilities.hasTool("umoci"), "umoci is not installed");
    }

    @Test
    void readsAnImageThatUmociMadeAndSkopeoCopiedIn() throws Exception {
        Path umociLayout = tmp.resolve("umoci");
        run("umoci", "init", "--layout", umociLayout.toString());
        run("umoci", "new", "--image", umociLayout + ":t");
        boolean root = Capabilities.isRoot();
        if (root) { // unpack needs root (or rootless mode); then the image gets a real layer
            Path bundle = tmp.resolve("bundle");
            run("umoci", "unpack", "--image", umociLayout + ":t", bundle.toString());
            Files.writeString(bundle.resolve("rootfs/hello.txt"), HELLO);
            run("umoci", "repack", "--image", umociLayout + ":t", bundle.toString());
        }
        ContentStore store = ContentStore.open(tmp.resolve("store"));
        String name = "docker.io/library/from-umoci:v1";

        run("skopeo", "--insecure-policy", "copy", "oci:" + umociLayout + ":t", "oci:" + store.root() + ":" + name);

        Descriptor manifest = store.resolve(name).orElseThrow();
        assertThat(manifest.mediaType()).isEqualTo(MediaType.OCI_MANIFEST);
        JsonNode m = JSON.readTree(store.readSmall(manifest.digest()));
        List<Digest> referenced = new ArrayList<>();
        referenced.add(Digest.parse(m.get("config").get("digest").textValue()));
        m.get("layers").forEach(l -> referenced.add(Digest.parse(l.get("digest").textValue())));
        assertThat(referenced).hasSize(root ? 2 : 1);
        for (Digest d : referenced) {
            try (InputStream in = store.open(d, true)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        }
        assertThat(store.gc().removed()).isEmpty(); // our walker sees everything skopeo wrote as reachable
    }

    @Test
    void skopeoAndUmociReadAnImageThatContentStoreWrote() throws Exception {
        ContentStore store = ContentStore.open(tmp.resolve("store"));
        String name = "docker.io/library/strata-test:latest";
        Image image = writeImage(store);
        store.tag(name, image.manifest());

        JsonNode inspect = JSON.readTree(run("skopeo", "inspect", "oci:" + store.root() + ":" + name));
        assertThat(inspect.get("Digest").textValue()).isEqualTo(image.manifest().digest().toString());
        assertThat(inspect.get("Layers").get(0).textValue()).isEqualTo(image.layer().toString());
        assertThat(inspect.get("Architecture").textValue()).isEqualTo("amd64");

        assertThat(run("umoci", "ls", "--layout", store.root().toString()).lines()).contains(name);
        String stat = run("umoci", "stat", "--image", store.root() + ":" + name);
        assertThat(stat).contains(image.layer().encoded().substring(0, 12)).contains("strata interop test");

        Path other = tmp.resolve("other");
        run("skopeo", "--insecure-policy", "copy", "oci:" + store.root() + ":" + name, "oci:" + other + ":x");
        Descriptor copied = ContentStore.open(other).resolve("x").orElseThrow();
        assertThat(copied.digest()).isEqualTo(image.manifest().digest());

        if (Capabilities.isRoot()) {
            Path bundle = tmp.resolve("bundle");
            run("umoci", "unpack", "--image", store.root() + ":" + name, bundle.toString());
            assertThat(bundle.resolve("rootfs/hello.txt")).hasContent(HELLO.strip());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker.io/library/busybox:latest", "localhost:5000/team/app:1.0-rc.1",
            "quay.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "short",
            "a--b/c_d:e+f"})
    void namingSchemeWorksWithBothTools(String name) throws Exception {
        ContentStore store = ContentStore.open(tmp.resolve("store"));
        Image image = writeImage(store);
        store.tag(name, image.manifest());

        assertThat(JSON.readTree(run("skopeo", "inspect", "oci:" + store.root() + ":" + name)).get("Digest").textValue())
                .isEqualTo(image.manifest().digest().toString());
        assertThat(run("umoci", "stat", "--image", store.root() + ":" + name)).contains("strata interop test");
        // And the other way round: a name skopeo writes is found by resolve.
        run("skopeo", "--insecure-policy", "copy", "oci:" + store.root() + ":" + name,
                "oci:" + store.root() + ":" + name + "-copy");
        assertThat(store.resolve(name + "-copy")).get().extracting(Descriptor::digest)
                .isEqualTo(image.manifest().digest());
    }

    @Test
    void bothToolsIgnoreTheIngestDirectoryAndLockFiles() throws Exception {
        ContentStore store = ContentStore.open(tmp.resolve("store"));
        Image image = writeImage(store);
        store.tag("t", image.manifest());
        // Leftovers of an interrupted write and an unrelated temp file.
        Files.writeString(store.root().resolve("ingest/" + "ab".repeat(32) + ".part"), "partial");
        Files.writeString(store.root().resolve("ingest/" + "ab".repeat(32) + ".lock"), "");
        Files.writeString(store.root().resolve("ingest/index.json.x.tmp"), "{");
        assertThat(store.root().resolve("index.json.lock")).exists();

        assertThat(JSON.readTree(run("skopeo", "inspect", "oci:" + store.root() + ":t")).get("Digest").textValue())
                .isEqualTo(image.manifest().digest().toString());
        assertThat(run("umoci", "ls", "--layout", store.root().toString()).lines()).contains("t");
        run("skopeo", "--insecure-policy", "copy", "oci:" + store.root() + ":t", "oci:" + tmp.resolve("o") + ":t");
    }

    record Image(Descriptor manifest, Digest layer) {
    }

    /** A one-layer image: a gzip tar with hello.txt, its config and an OCI manifest. */
    private static Image writeImage(ContentStore store) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            byte[] hello = HELLO.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry("hello.txt");
            entry.setSize(hello.length);
            entry.setMode(0644);
            out.putArchiveEntry(entry);
            out.write(hello);
            out.closeArchiveEntry();
        }
        Digest diffId = Digest.sha256(tar.toByteArray());
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(tar.toByteArray());
        }
        byte[] layer = gz.toByteArray();
        Digest layerDigest = store.put(layer);

        // umoci 0.4.7 `stat` crashes on a history entry without "created", so the config carries it.
        byte[] config = ("{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
                + "\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]},"
                + "\"history\":[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"strata interop test\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        Digest configDigest = store.put(config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"config\":"
                + GcTest.descriptorJson(MediaType.OCI_CONFIG, configDigest, config.length) + ",\"layers\":["
                + GcTest.descriptorJson(MediaType.OCI_LAYER_GZIP, layerDigest, layer.length) + "]}")
                .getBytes(StandardCharsets.UTF_8);
        Digest manifestDigest = store.put(manifest);
        return new Image(new Descriptor(MediaType.OCI_MANIFEST, manifestDigest, manifest.length), layerDigest);
    }

    /** Runs a tool, returns its stdout; fails the test with its output on a non-zero exit. */
    private String run(String... cmd) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " timed out");
        }
        String stdout = Files.readString(out);
        assertThat(p.exitValue()).as("%s failed:%n%s%n%s", String.join(" ", cmd), stdout, Files.readString(err))
                .isZero();
        return stdout;
    }
}
