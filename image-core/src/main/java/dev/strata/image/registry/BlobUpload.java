package dev.strata.image.registry;

import java.net.URI;
import java.util.Objects;

/**
 * An upload session opened by {@link RegistryClient#startUpload}: the registry's upload URL and how many bytes it
 * has accepted so far. Each chunk answers with a new session value (the URL may change).
 */
public record BlobUpload(String repository, URI location, long offset) {
    public BlobUpload {
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(location, "location");
        if (offset < 0) {
            throw new IllegalArgumentException("negative upload offset " + offset);
        }
    }
}
