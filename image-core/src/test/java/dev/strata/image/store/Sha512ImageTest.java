package dev.strata.image.store;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.DigestAlgorithm;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.MediaType;
import dev.strata.image.testing.PlainDirDriver;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 17 point 6: OCI allows sha512 descriptors; every blob is checked with the algorithm its descriptor names. */
class Sha512ImageTest {
    @TempDir
    Path tmp;

    private static Digest sha512(byte[] b) {
        return Digest.of(DigestAlgorithm.SHA512, sha(b));
    }

    private static byte[] sha(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("SHA-512").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private ImageManifest write(ContentStore layout, byte[] layerBlob, byte[] plainTar) throws IOException {
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.sha256(plainTar) + "\"]}}";
        byte[] cfg = config.getBytes(StandardCharsets.UTF_8);
        Descriptor cfgDesc = new Descriptor(MediaType.OCI_CONFIG, sha512(cfg), cfg.length);
        layout.write(new ByteArrayInputStream(cfg), cfgDesc.digest(), cfg.length);
        Descriptor layer = new Descriptor(MediaType.OCI_LAYER_GZIP, sha512(layerBlob), layerBlob.length);
        layout.write(new ByteArrayInputStream(layerBlob), layer.digest(), layerBlob.length);
        ImageManifest m = ImageManifest.create(MediaType.OCI_MANIFEST, cfgDesc, List.of(layer), Map.of());
        layout.put(m.raw());
        layout.tag("app", m.descriptor());
        return m;
    }

    @Test
    void anImageWithSha512DescriptorsUnpacksAndImports() throws IOException {
        byte[] plain = new TarBuilder().file("etc/motd", "sha512\n").end().bytes();
        ContentStore layout = ContentStore.open(tmp.resolve("layout"));
        ImageManifest m = write(layout, TestImages.gzip(plain), plain);
        Path rootfs = tmp.resolve("rootfs");
        Store.unpack(layout, m, rootfs);
        assertThat(Files.readString(rootfs.resolve("etc/motd"))).isEqualTo("sha512\n");
        try (Store store = Store.open(tmp.resolve("store"), StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER))) {
            store.importImage(layout, "app", null, "app");
            store.unpack("app", tmp.resolve("from-store"));
            assertThat(Files.readString(tmp.resolve("from-store/etc/motd"))).isEqualTo("sha512\n");
        }
    }

    @Test
    void aCorruptSha512BlobIsStillRefused() throws IOException {
        byte[] plain = new TarBuilder().file("etc/motd", "sha512\n").end().bytes();
        byte[] blob = TestImages.gzip(plain);
        ContentStore layout = ContentStore.open(tmp.resolve("layout"));
        ImageManifest m = write(layout, blob, plain);
        Path file = tmp.resolve("layout/blobs/sha512/" + m.layers().get(0).digest().encoded());
        byte[] bad = blob.clone();
        bad[bad.length - 9] ^= 1; // in the gzip trailer's CRC region: decodes, but is not the blob
        file.toFile().setWritable(true);
        Files.write(file, bad);
        assertThatThrownBy(() -> Store.unpack(layout, m, tmp.resolve("r"))).isInstanceOfAny(
                DigestMismatchException.class, dev.strata.image.InvalidImageException.class, IOException.class);
        assertThat(tmp.resolve("r")).doesNotExist();
    }
}
