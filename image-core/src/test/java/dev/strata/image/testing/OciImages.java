package dev.strata.image.testing;

import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes small OCI image layouts by hand (blobs, manifest, config, optional index) for tests that need an image
 * to seed a registry with via skopeo, and remembers every blob written.
 */
public final class OciImages {
    private OciImages() {
    }

    /** One single-platform image: its manifest plus the blobs it references. */
    public record Image(ImageManifest manifest, byte[] config, List<byte[]> layers) {
        public Descriptor configDescriptor() {
            return manifest.config();
        }
    }

    /** Builds an image with one gzip layer holding {@code files} (name → content) for {@code platform}. */
    public static Image image(Platform platform, Map<String, String> files) {
        TarBuilder tar = new TarBuilder();
        files.forEach(tar::file);
        byte[] plain = tar.end().bytes();
        byte[] layer = gzip(plain);
        return image(platform, layer, Digest.sha256(plain));
    }

    /** Builds an image around an arbitrary (possibly large) layer blob with the given DiffID. */
    public static Image image(Platform platform, byte[] layerBlob, Digest diffId) {
        String config = "{\"architecture\":\"" + platform.architecture() + "\",\"os\":\"" + platform.os() + "\""
                + (platform.variant() != null ? ",\"variant\":\"" + platform.variant() + "\"" : "")
                + ",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}";
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        Descriptor configDesc = new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
        Descriptor layerDesc = new Descriptor(MediaType.OCI_LAYER_GZIP, Digest.sha256(layerBlob), layerBlob.length);
        ImageManifest manifest = ImageManifest.create(MediaType.OCI_MANIFEST, configDesc, List.of(layerDesc), Map.of());
        return new Image(manifest, configBytes, List.of(layerBlob));
    }

    /** Writes {@code image} into the OCI layout at {@code dir} (created if needed) under {@code tag}. */
    public static void writeLayout(Path dir, String tag, Image image) {
        writeBlobs(dir, image);
        writeIndexJson(dir, image.manifest().descriptor(), tag);
    }

    /** Writes a multi-platform index of {@code images} into the layout under {@code tag}; returns the index. */
    public static ImageIndex writeMultiPlatform(Path dir, String tag, List<Image> images, List<Platform> platforms) {
        List<Descriptor> entries = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            writeBlobs(dir, images.get(i));
            entries.add(images.get(i).manifest().descriptor().withPlatform(platforms.get(i)));
        }
        ImageIndex index = ImageIndex.create(MediaType.OCI_INDEX, entries, Map.of());
        writeBlob(dir, index.raw());
        writeIndexJson(dir, index.descriptor(), tag);
        return index;
    }

    public static void writeBlob(Path dir, byte[] content) {
        Digest d = Digest.sha256(content);
        Path p = dir.resolve("blobs").resolve("sha256").resolve(d.encoded());
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeBlobs(Path dir, Image image) {
        writeBlob(dir, image.config());
        image.layers().forEach(l -> writeBlob(dir, l));
        writeBlob(dir, image.manifest().raw());
    }

    private static void writeIndexJson(Path dir, Descriptor target, String tag) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + target.mediaType()
                    + "\",\"digest\":\"" + target.digest() + "\",\"size\":" + target.size()
                    + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}]}";
            Files.writeString(dir.resolve("index.json"), index);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] gzip(byte[] plain) {
        var out = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
