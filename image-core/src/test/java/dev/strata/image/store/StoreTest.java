package dev.strata.image.store;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.testing.PlainDirDriver;
import dev.strata.image.testing.RootedSnapshot;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The façade: images from the content store become layers, unpack flattens them, remove and gc free them. */
class StoreTest {
    @TempDir
    Path tmp;
    Path root;
    Store store;

    private static final List<byte[]> LAYERS = List.of(
            new TarBuilder().dir("etc").file("etc/os", "base").dir("var").file("var/old", "old").end().bytes(),
            new TarBuilder().file(".wh.var", "").file("etc/app", "app").end().bytes(),
            new TarBuilder().dir("var").file("var/new", "new").entry("etc/os").mode(0600).data("v2").add().end()
                    .bytes());

    @BeforeEach
    void open() throws IOException {
        root = tmp.resolve("store");
        store = Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    @Test
    void defaultRootFollowsUserAndXdg() {
        assertThat(Store.defaultRoot(true, "/x", "/home/u")).isEqualTo(Path.of("/var/lib/strata"));
        assertThat(Store.defaultRoot(false, "/x", "/home/u")).isEqualTo(Path.of("/x/strata"));
        assertThat(Store.defaultRoot(false, "rel", "/home/u")).isEqualTo(Path.of("/home/u/.local/share/strata"));
        assertThat(Store.defaultRoot(false, null, "/home/u")).isEqualTo(Path.of("/home/u/.local/share/strata"));
    }

    @Test
    void layoutOnDisk() {
        assertThat(root.resolve("content/oci-layout")).exists();
        assertThat(root.resolve("layers")).isDirectory();
        assertThat(root.resolve("plaindir")).isDirectory();
        assertThat(root.resolve("store.lock")).exists();
    }

    @Test
    void addImageThenUnpackMatchesTheTopLayer() throws IOException {
        ImageManifest m = TestImages.write(store.content(), LAYERS);
        ImageRecord r = store.addImage("example.com/app:1", m.digest());
        assertThat(store.images().list()).containsExactly(r);
        assertThat(store.content().resolve("example.com/app:1")).isPresent();
        Path rootfs = tmp.resolve("rootfs");
        store.unpack("example.com/app:1", rootfs);
        assertThat(Files.readString(rootfs.resolve("etc/os"))).isEqualTo("v2");
        assertThat(rootfs.resolve("var/old")).doesNotExist();
        Digest top = store.topLayer("example.com/app:1").orElseThrow();
        Path mounted = store.layers().mount(top);
        try {
            // directory mtimes: etc/ gains a file in layer 2 without an entry of its own, so its mtime is "now"
            Map<String, String> fromLayers = RootedSnapshot.describe(mounted, false);
            Map<String, String> unpacked = RootedSnapshot.describe(rootfs, false);
            fromLayers.remove(".");
            unpacked.remove(".");
            assertThat(unpacked).isEqualTo(fromLayers);
        } finally {
            store.layers().unmount(top);
        }
    }

    @Test
    void imagesShareLayersAndGcRemovesOnlyWhatNoImageUses() throws IOException {
        ImageManifest full = TestImages.write(store.content(), LAYERS);
        ImageManifest base = TestImages.write(store.content(), LAYERS.subList(0, 1));
        store.addImage("full", full.digest());
        store.addImage("base", base.digest());
        assertThat(store.layers().list()).hasSize(3);
        store.removeImage("full");
        assertThat(store.layers().list()).hasSize(1);
        StoreGcResult gc = store.gc();
        assertThat(gc.content().removed()).contains(full.digest(), full.layers().get(2).digest());
        assertThat(store.content().exists(base.layers().get(0).digest())).isTrue();
        store.removeImage("base");
        assertThat(store.layers().list()).isEmpty();
        assertThat(store.driver().layers()).isEmpty();
        assertThatThrownBy(() -> store.removeImage("base")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void configListingAnotherDiffIdFailsAndKeepsNothing() throws IOException {
        ImageManifest good = TestImages.write(store.content(), LAYERS.subList(0, 1));
        // a config that promises a different DiffID for the same blob
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.sha256(new byte[] {9}) + "\"]}}").getBytes();
        var cfg = new dev.strata.image.model.Descriptor(dev.strata.image.model.MediaType.OCI_CONFIG,
                store.content().put(config), config.length);
        ImageManifest bad = ImageManifest.create(dev.strata.image.model.MediaType.OCI_MANIFEST, cfg, good.layers(),
                Map.of());
        store.content().put(bad.raw());
        assertThatThrownBy(() -> store.addImage("bad", bad.digest())).isInstanceOf(DigestMismatchException.class);
        assertThat(store.layers().list()).isEmpty();
        assertThat(store.images().list()).isEmpty();
        assertThatThrownBy(() -> store.unpack(bad, tmp.resolve("bad"))).isInstanceOf(DigestMismatchException.class);
    }

    @Test
    void layersRegisteredBeforeAnImageIsNamedAreReferencedOnlyByTheImage() throws IOException {
        ImageManifest m = TestImages.write(store.content(), LAYERS);
        // What a pull killed after registering two layers leaves; the re-run registers them again.
        Digest base = store.layers().register(new ByteArrayInputStream(TestImages.gzip(LAYERS.get(0))), null,
                Digest.sha256(LAYERS.get(0))).chainId();
        store.layers().register(new ByteArrayInputStream(TestImages.gzip(LAYERS.get(1))), base,
                Digest.sha256(LAYERS.get(1)));
        store.addImage("app", m.digest());
        store.addImage("app", m.digest()); // naming it again adds no reference either
        assertThat(store.layers().list()).hasSize(3);
        store.removeImage("app");
        assertThat(store.layers().list()).as("no reference outlives the image").isEmpty();
        assertThat(store.driver().layers()).isEmpty();
    }

    @Test
    void killedRegistrationKeepsItsLayersWhileAliveAndLeavesNoReferenceWhenKilled() throws Exception {
        ImageManifest m = TestImages.write(store.content(), LAYERS);
        Path log = tmp.resolve("child.log");
        Process child = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                LeaseHolderMain.class.getName(), root.toString(), m.digest().toString(), "2")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.readString(log).contains("registered")) {
                assertThat(child.isAlive()).as("child: %s", Files.readString(log)).isTrue();
                assertThat(System.nanoTime()).as("child did not register in time").isLessThan(deadline);
                Thread.sleep(20);
            }
            // An in-flight registration in another process: gc and a reopening writer keep its layers.
            assertThat(store.layers().prune()).isEmpty();
            store.close();
            store = Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
            assertThat(store.layers().list()).hasSize(2);
            assertThat(store.layers().prune()).isEmpty();
        } finally {
            child.destroyForcibly().waitFor(); // SIGKILL
        }
        store.close();
        store = Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
        assertThat(root.resolve("leases")).isEmptyDirectory();
        store.addImage("app", m.digest()); // the re-run: reuses the two layers
        assertThat(store.layers().list()).hasSize(3);
        store.removeImage("app");
        assertThat(store.layers().list()).isEmpty();
        assertThat(store.driver().layers()).isEmpty();
    }

    @Test
    void failedAddImageRemovesWhatItRegisteredButNotWhatOthersUse() throws IOException {
        ImageManifest base = TestImages.write(store.content(), LAYERS.subList(0, 1));
        store.addImage("base", base.digest());
        ImageManifest full = TestImages.write(store.content(), LAYERS);
        store.content().delete(full.layers().get(2).digest()); // the third blob is missing: fails after two layers
        assertThatThrownBy(() -> store.addImage("full", full.digest())).isInstanceOf(NotFoundException.class);
        assertThat(store.layers().list()).extracting(LayerRecord::chainId)
                .containsExactly(Digest.sha256(LAYERS.get(0)));
        assertThat(store.driver().layers()).hasSize(1);
        assertThat(store.images().list()).extracting(ImageRecord::name).containsExactly("base");
    }
}
