package dev.strata.image.build;

import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.ConfigEditor;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Makes a new image from a base image (or scratch), new layers and config edits, and writes its config and
 * manifest into a content store: the one place that turns "base + changes" into blobs, for {@code config},
 * {@code append}, {@code container commit} and image builds.
 *
 * <p>The result is always an OCI image manifest with an OCI config. Base layers keep their blobs, digests, sizes,
 * URLs and annotations; only a Docker base's media types are translated to their OCI twins
 * ({@code diff.tar.gzip} → {@code tar+gzip}, {@code diff.tar} → {@code tar}, a foreign layer → the
 * non-distributable {@code tar+gzip}), as {@code skopeo copy --format oci} does, since a Docker manifest cannot
 * hold a zstd or an OCI layer. The base's manifest annotations are kept unless replaced with
 * {@link #annotations(Map)}. Not thread-safe; one composer writes one image (it may write it to several stores).
 */
public final class ImageComposer {
    private final ImageManifest baseManifest;
    private final ConfigEditor config;
    private final List<Descriptor> layers = new ArrayList<>();
    private final Map<String, String> annotations = new LinkedHashMap<>();

    private ImageComposer(ImageManifest baseManifest, ImageConfig baseConfig) {
        this.baseManifest = baseManifest;
        this.config = baseConfig.edit();
        if (baseManifest != null) {
            if (baseConfig.diffIds().size() != baseManifest.layers().size()) {
                throw new InvalidImageException("base manifest " + baseManifest.digest() + " has "
                        + baseManifest.layers().size() + " layers but its config " + baseConfig.digest() + " lists "
                        + baseConfig.diffIds().size() + " DiffIDs");
            }
            for (Descriptor layer : baseManifest.layers()) {
                layers.add(asOci(layer));
            }
            annotations.putAll(baseManifest.annotations());
        }
    }

    /**
     * Starts from {@code manifest}, whose config blob is read (verified) from {@code content}. The base's layer
     * blobs need not be there.
     *
     * @throws NotFoundException     if the config blob is not in {@code content}
     * @throws InvalidImageException if the manifest's layers are not file-system layers or do not match the config
     */
    public static ImageComposer onBase(ContentStore content, ImageManifest manifest) throws IOException {
        byte[] raw = content.readSmall(manifest.config().digest());
        return onBase(manifest, Manifests.parseConfig(raw));
    }

    /** Starts from {@code manifest} and its parsed {@code config}. */
    public static ImageComposer onBase(ImageManifest manifest, ImageConfig config) {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(config, "config");
        if (!manifest.config().digest().equals(config.digest())) {
            throw new IllegalArgumentException("config " + config.digest() + " is not the config of manifest "
                    + manifest.digest() + " (" + manifest.config().digest() + ")");
        }
        manifest.requireKnownLayers();
        return new ImageComposer(manifest, config);
    }

    /** Starts from nothing: no layers, an empty runtime config, for {@code platform}. */
    public static ImageComposer fromScratch(Platform platform) {
        return new ImageComposer(null, ImageConfig.scratch(Objects.requireNonNull(platform, "platform")));
    }

    /** The base manifest, or null when starting from scratch. */
    public ImageManifest baseManifest() {
        return baseManifest;
    }

    /**
     * The editor of the new config: runtime config, {@code created}, {@code author} and history entries without a
     * layer. Layers are added with {@link #addLayer(NewLayer)}, which appends their DiffIDs and history here.
     */
    public ConfigEditor config() {
        return config;
    }

    /** Appends a layer on top of the base's and the ones added before. */
    public ImageComposer addLayer(NewLayer layer) {
        layers.add(asOci(layer.blob()));
        config.addLayer(layer.diffId(), layer.history());
        return this;
    }

    /** Replaces the manifest's annotations (the base's by default). */
    public ImageComposer annotations(Map<String, String> value) {
        annotations.clear();
        value.forEach(this::annotation);
        return this;
    }

    /** Sets one manifest annotation. */
    public ImageComposer annotation(String key, String value) {
        annotations.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Writes the new config and manifest blobs into {@code target} (verified writes) and returns the manifest's
     * descriptor. Nothing is tagged or named.
     *
     * @throws NotFoundException if the blob of a layer added here is not in {@code target}
     */
    public Descriptor write(ContentStore target) throws IOException {
        int added = layers.size() - (baseManifest == null ? 0 : baseManifest.layers().size());
        for (Descriptor layer : layers.subList(layers.size() - added, layers.size())) {
            if (!target.exists(layer.digest())) {
                throw new NotFoundException("layer blob " + layer.digest() + " is not in " + target.root()
                        + ": store it before composing the image");
            }
        }
        ImageConfig newConfig = config.build();
        byte[] configBytes = newConfig.raw();
        Descriptor configDescriptor = new Descriptor(MediaType.OCI_CONFIG, newConfig.digest(), configBytes.length);
        ImageManifest manifest = ImageManifest.create(MediaType.OCI_MANIFEST, configDescriptor, layers, annotations);
        put(target, configBytes, newConfig.digest());
        byte[] manifestBytes = manifest.raw();
        put(target, manifestBytes, manifest.digest());
        return new Descriptor(MediaType.OCI_MANIFEST, manifest.digest(), manifestBytes.length);
    }

    private static void put(ContentStore target, byte[] bytes, Digest digest) throws IOException {
        target.write(new ByteArrayInputStream(bytes), digest, bytes.length);
    }

    /** The OCI twin of a Docker layer descriptor; every other field kept. */
    static Descriptor asOci(Descriptor layer) {
        String oci = switch (layer.mediaType()) {
            case MediaType.DOCKER_LAYER -> MediaType.OCI_LAYER;
            case MediaType.DOCKER_LAYER_GZIP -> MediaType.OCI_LAYER_GZIP;
            case MediaType.DOCKER_LAYER_FOREIGN_GZIP -> MediaType.OCI_LAYER_NONDISTRIBUTABLE_GZIP;
            default -> layer.mediaType();
        };
        if (oci.equals(layer.mediaType())) {
            return layer;
        }
        return new Descriptor(oci, layer.digest(), layer.size(), layer.urls(), layer.annotations(), layer.platform(),
                layer.artifactType());
    }
}
