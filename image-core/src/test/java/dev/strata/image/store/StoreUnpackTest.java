package dev.strata.image.store;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.testing.PlainDirDriver;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Unpack: a stored image from its stored layers (no blob read, so it works after gc and for layers stored from
 * other blobs), an OCI layout from its blobs; both build beside the target and leave it as it was on failure.
 */
class StoreUnpackTest {
    private static final List<byte[]> LAYERS = List.of(
            new TarBuilder().dir("etc").file("etc/os", "base").dir("var").file("var/old", "old").end().bytes(),
            new TarBuilder().file(".wh.var", "").file("etc/app", "app").end().bytes(),
            new TarBuilder().dir("var").file("var/new", "new").entry("etc/os").mode(0600).data("v2").add().end()
                    .bytes());

    @TempDir
    Path tmp;
    Store store;

    @BeforeEach
    void open() throws IOException {
        store = Store.open(tmp.resolve("store"), StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    @Test
    void aStoredImageUnpacksFromItsLayersEvenWhenItsBlobsAreGone() throws IOException {
        ImageManifest m = TestImages.write(store.content(), LAYERS);
        store.addImage("app", m.digest());
        Path fromBlobs = tmp.resolve("from-blobs");
        Store.unpack(store.content(), m, fromBlobs);
        for (Descriptor layer : m.layers()) {
            store.content().delete(layer.digest()); // what gc does to blobs that stored layers cover
        }
        Path fromLayers = tmp.resolve("from-layers");
        store.unpack("app", fromLayers);
        assertThat(TreeSnapshot.describe(fromLayers, TreeSnapshot.Options.NO_DIR_MTIMES))
                .isEqualTo(TreeSnapshot.describe(fromBlobs, TreeSnapshot.Options.NO_DIR_MTIMES));
        assertThat(Files.readString(fromLayers.resolve("etc/os"))).isEqualTo("v2");
        assertThat(fromLayers.resolve("var/old")).doesNotExist();
        assertThat(store.mounts()).as("the view is released after the copy").isEmpty();
    }

    @Test
    void anEmptyTargetDirectoryIsReplacedAndANonEmptyOneRefused() throws IOException {
        ImageManifest m = TestImages.write(store.content(), LAYERS);
        store.addImage("app", m.digest());
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        store.unpack("app", empty);
        assertThat(empty.resolve("etc/app")).exists();
        Path full = Files.createDirectory(tmp.resolve("full"));
        Files.writeString(full.resolve("keep"), "mine");
        assertThatThrownBy(() -> store.unpack("app", full)).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("not an empty directory");
        assertThatThrownBy(() -> Store.unpack(store.content(), m, full))
                .isInstanceOf(FailedPreconditionException.class);
        assertThat(full.toFile().list()).containsExactly("keep");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), empty);
        assertThatThrownBy(() -> store.unpack("app", link)).isInstanceOf(FailedPreconditionException.class);
    }

    /** Issue 17 point 4: a corrupt second blob must leave nothing of the first layer in the target. */
    @Test
    void aCorruptSecondBlobLeavesTheTargetAsItWas() throws IOException {
        Path layoutDir = tmp.resolve("layout");
        ContentStore layout = ContentStore.open(layoutDir);
        ImageManifest m = TestImages.write(layout, LAYERS);
        Path blob = layoutDir.resolve("blobs/sha256/" + m.layers().get(1).digest().encoded());
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length / 2] ^= 0x55;
        blob.toFile().setWritable(true);
        Files.write(blob, bytes);
        for (Path target : List.of(tmp.resolve("absent"), Files.createDirectory(tmp.resolve("was-empty")))) {
            boolean existed = Files.exists(target);
            assertThatThrownBy(() -> Store.unpack(layout, m, target)).isInstanceOfAny(DigestMismatchException.class,
                    dev.strata.image.InvalidImageException.class, dev.strata.image.UnsafeLayerException.class,
                    IOException.class);
            if (existed) {
                assertThat(target.toFile().list()).as("still the empty directory it was").isEmpty();
            } else {
                assertThat(target).doesNotExist();
            }
        }
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("strata-unpack"));
        }
    }
}
