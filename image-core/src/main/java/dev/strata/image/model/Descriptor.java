package dev.strata.image.model;

import dev.strata.image.digest.Digest;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An OCI content descriptor: what a blob is, its digest and exact size, and optional metadata. Immutable.
 *
 * @param platform     only meaningful for entries of an index; may be null
 * @param artifactType may be null
 */
public record Descriptor(String mediaType, Digest digest, long size, List<String> urls,
                         Map<String, String> annotations, Platform platform, String artifactType) {

    /** Annotation naming a tag in an OCI layout's {@code index.json}. */
    public static final String REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size + " for " + digest);
        }
        urls = urls == null ? List.of() : List.copyOf(urls);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public Descriptor(String mediaType, Digest digest, long size) {
        this(mediaType, digest, size, List.of(), Map.of(), null, null);
    }

    public Descriptor withAnnotations(Map<String, String> newAnnotations) {
        return new Descriptor(mediaType, digest, size, urls, newAnnotations, platform, artifactType);
    }

    public Descriptor withPlatform(Platform newPlatform) {
        return new Descriptor(mediaType, digest, size, urls, annotations, newPlatform, artifactType);
    }

    /** The annotation value, or null. */
    public String annotation(String key) {
        return annotations.get(key);
    }
}
