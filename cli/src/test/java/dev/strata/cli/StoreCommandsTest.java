package dev.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.ChainId;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code inspect}, {@code rm} and {@code gc} on a VFS store: what inspect reports is what the layout holds, rm
 * removes exactly the layers no other image shares, gc removes the blobs no name reaches.
 */
class StoreCommandsTest {
    @TempDir
    Path tmp;
    Path layout;
    String root;
    ImageManifest base;
    ImageManifest app;

    @BeforeEach
    void twoImagesSharingABaseLayer() throws IOException {
        layout = tmp.resolve("layout");
        ContentStore content = ContentStore.open(layout);
        byte[] baseLayer = new TarBuilder().dir("etc").file("etc/os", "base").end().bytes();
        base = TestImages.write(content, List.of(baseLayer));
        app = TestImages.write(content, List.of(baseLayer, new TarBuilder().file("app", "v1").end().bytes()));
        content.tag("base", base.descriptor());
        content.tag("app", app.descriptor());
        root = tmp.resolve("store").toString();
        for (String name : List.of("base", "app")) {
            CliRun imported = run("import", "oci:" + layout + ":" + name, name);
            assertThat(imported.code()).as(imported.err()).isZero();
        }
    }

    private CliRun run(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--root";
        all[1] = root;
        all[2] = "--driver";
        all[3] = "vfs";
        System.arraycopy(args, 0, all, 4, args.length);
        return CliRun.of(all);
    }

    private long layerRecords() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(root, "layers"))) {
            return s.filter(p -> p.toString().endsWith(".json")).count();
        }
    }

    @Test
    void inspectReportsTheStoredManifestConfigAndLayers() throws IOException {
        CliRun r = run("inspect", "--json", "app");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        ImageConfig config = Manifests.parseConfig(ContentStore.open(layout).readSmall(app.config().digest()));
        assertThat(j.get("name").asText()).isEqualTo("app");
        assertThat(j.get("digest").asText()).isEqualTo(app.digest().toString());
        assertThat(j.get("config").asText()).isEqualTo(app.config().digest().toString());
        assertThat(j.get("platform").asText()).isEqualTo(config.platform().toString());
        assertThat(j.get("layers")).hasSize(2);
        assertThat(j.get("layers").get(1).get("digest").asText()).isEqualTo(app.layers().get(1).digest().toString());
        assertThat(j.get("size").asLong()).isEqualTo(app.layers().get(0).size() + app.layers().get(1).size());
        assertThat(j.get("diffIds").get(1).asText()).isEqualTo(config.diffIds().get(1).toString());

        CliRun human = run("inspect", "app");
        assertThat(human.out()).contains(app.digest().toString()).contains(app.layers().get(1).digest().toString());
    }

    @Test
    void inspectRawPrintsTheExactBytesFromALayoutToo() {
        CliRun manifest = run("inspect", "--raw", "manifest", "oci:" + layout + ":base");
        assertThat(manifest.code()).as(manifest.err()).isZero();
        assertThat(manifest.out().strip()).isEqualTo(new String(base.raw(), StandardCharsets.UTF_8).strip());
        CliRun config = run("inspect", "--raw", "config", "app");
        assertThat(config.code()).as(config.err()).isZero();
        assertThat(config.out()).contains("diff_ids");
    }

    @Test
    void inspectOfAnUnknownImageExitsNotFound() {
        CliRun r = run("inspect", "nope");
        assertThat(r.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(r.err()).contains("nope");
    }

    @Test
    void rmRemovesOnlyTheLayersNoOtherImageUses() throws IOException {
        assertThat(layerRecords()).isEqualTo(2);
        CliRun r = run("rm", "app");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("app");
        assertThat(layerRecords()).as("the base layer is still base's").isEqualTo(1);
        ImageConfig baseConfig = Manifests.parseConfig(ContentStore.open(layout).readSmall(base.config().digest()));
        String baseChain = ChainId.of(baseConfig.diffIds()).encoded();
        assertThat(Path.of(root, "layers", baseChain + ".json")).exists();
        assertThat(run("images", "-q").out().strip()).isEqualTo("base");

        CliRun again = run("rm", "app");
        assertThat(again.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(run("rm", "base").code()).isZero();
        assertThat(layerRecords()).isZero();
    }

    @Test
    void gcRemovesBlobsNoNameReachesAndKeepsTheOthers() throws IOException {
        assertThat(run("rm", "app").code()).isZero();
        CliRun r = run("gc", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        List<String> removed = new java.util.ArrayList<>();
        j.get("blobsRemoved").forEach(n -> removed.add(n.asText()));
        assertThat(removed).contains(app.digest().toString(), app.config().digest().toString(),
                app.layers().get(1).digest().toString());
        assertThat(removed).doesNotContain(base.layers().get(0).digest().toString(),
                base.digest().toString());
        assertThat(j.get("bytesFreed").asLong()).isPositive();

        CliRun unpack = run("unpack", "base", tmp.resolve("rootfs").toString());
        assertThat(unpack.code()).as(unpack.err()).isZero();
        assertThat(tmp.resolve("rootfs/etc/os")).hasContent("base");
        assertThat(run("gc").out()).startsWith("removed 0 layer(s) and 0 blob(s)");
    }
}
