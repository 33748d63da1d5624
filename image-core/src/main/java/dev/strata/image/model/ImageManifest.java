package dev.strata.image.model;

import dev.strata.image.digest.Digest;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An OCI image manifest or a Docker v2 schema2 manifest: one config blob and the ordered layers.
 * The raw bytes are kept because the digest covers them, not any re-serialization: they are copied on the way in
 * and {@link #raw()} returns a fresh copy, so the value stays immutable.
 *
 * @param artifactType OCI 1.1 artifact type, or null
 * @param subject      OCI 1.1 subject, or null
 * @param digest       digest of {@code raw}; pass null to have it computed (SHA-256); a given digest is checked
 */
public record ImageManifest(int schemaVersion, String mediaType, String artifactType, Descriptor config,
                            List<Descriptor> layers, Descriptor subject, Map<String, String> annotations,
                            byte[] raw, Digest digest) implements ManifestDocument {

    public ImageManifest {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(raw, "raw");
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        raw = raw.clone();
        digest = RawBytes.checkDigest(raw, digest);
    }

    /**
     * Builds a manifest from its parts as compact JSON ({@code schemaVersion}, {@code mediaType}, {@code config},
     * {@code layers}, {@code annotations} when not empty; annotation keys sorted) and digests those bytes.
     *
     * @param mediaType {@link MediaType#OCI_MANIFEST} or {@link MediaType#DOCKER_MANIFEST}
     */
    public static ImageManifest create(String mediaType, Descriptor config, List<Descriptor> layers,
                                       Map<String, String> annotations) {
        if (!MediaType.isManifest(mediaType)) {
            throw new IllegalArgumentException("not a manifest media type: " + mediaType);
        }
        byte[] raw = DocumentWriter.manifest(mediaType, config, layers, annotations);
        // parsing what we wrote keeps one definition of a valid manifest
        return Manifests.parseManifest(raw, mediaType);
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public long size() {
        return raw.length;
    }

    /**
     * Refuses a manifest with a layer whose media type is not a file-system layer this library knows (OCI's
     * {@code tar}, {@code tar+gzip}, {@code tar+zstd} and their non-distributable forms, Docker's {@code diff.tar},
     * {@code diff.tar.gzip} and foreign layers): such a blob is not applied by guessing its compression, as umoci
     * refuses it too. Called before anything is applied; copying such a manifest between registries or layouts is
     * fine.
     *
     * @throws InvalidImageException naming the descriptor
     */
    public void requireKnownLayers() {
        for (int i = 0; i < layers.size(); i++) {
            Descriptor l = layers.get(i);
            if (!MediaType.isLayer(l.mediaType())) {
                throw new dev.strata.image.InvalidImageException("layer " + i + " (" + l.digest() + ") of manifest "
                        + digest + " has media type '" + l.mediaType() + "', which is not a file-system layer this "
                        + "library can apply");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageManifest m && schemaVersion == m.schemaVersion && mediaType.equals(m.mediaType)
                && Objects.equals(artifactType, m.artifactType) && config.equals(m.config)
                && layers.equals(m.layers) && Objects.equals(subject, m.subject)
                && annotations.equals(m.annotations) && digest.equals(m.digest) && Arrays.equals(raw, m.raw);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "ImageManifest[" + mediaType + " " + digest + ", " + layers.size() + " layers, config "
                + config.digest() + "]";
    }
}
