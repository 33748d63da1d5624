package dev.strata.image.testing;

import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.MediaType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Writes small OCI images (gzip layers, config, manifest) into a content store for store tests. */
public final class TestImages {
    private TestImages() {
    }

    /** Stores the layers (uncompressed tars, gzipped here), a config listing their DiffIDs and a manifest. */
    public static ImageManifest write(ContentStore content, List<byte[]> tars) throws IOException {
        List<Descriptor> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (byte[] tar : tars) {
            byte[] gz = gzip(tar);
            layers.add(new Descriptor(MediaType.OCI_LAYER_GZIP, content.put(gz), gz.length));
            diffIds.add("\"" + Digest.sha256(tar) + "\"");
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + String.join(",", diffIds) + "]}}").getBytes(StandardCharsets.UTF_8);
        Descriptor cfg = new Descriptor(MediaType.OCI_CONFIG, content.put(config), config.length);
        ImageManifest m = ImageManifest.create(MediaType.OCI_MANIFEST, cfg, layers, Map.of());
        content.put(m.raw());
        return m;
    }

    /** Layer i holds one file {@code layer<i>.bin} of {@code bytes + i} random bytes. */
    public record RandomLayers(List<byte[]> files, List<byte[]> tars) {
    }

    /** {@code count} single-file layers of random content (the files, and the layer tars holding them). */
    public static RandomLayers randomFileLayers(java.util.Random random, int count, int bytes) {
        List<byte[]> files = new ArrayList<>();
        List<byte[]> tars = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[bytes + i];
            random.nextBytes(data);
            files.add(data);
            tars.add(new TarBuilder().entry("layer" + i + ".bin").data(data).add().end().bytes());
        }
        return new RandomLayers(files, tars);
    }

    public static byte[] gzip(byte[] bytes) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (GZIPOutputStream z = new GZIPOutputStream(b)) {
                z.write(bytes);
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
