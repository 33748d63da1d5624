package dev.strata.image.store;

import dev.strata.image.digest.Digest;

import java.util.Objects;

/**
 * A named image in {@code <root>/images.json}.
 *
 * @param name     the name given (usually a normalized reference, e.g. {@code docker.io/library/alpine:3.20})
 * @param manifest digest of the image manifest in the content store
 * @param config   digest of its config
 */
public record ImageRecord(String name, Digest manifest, Digest config) {
    public ImageRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(config, "config");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("image name must not be empty");
        }
    }
}
