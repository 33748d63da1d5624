package dev.strata.image.content;

import dev.strata.image.digest.Digest;

import java.time.Instant;
import java.util.Objects;

/**
 * A blob stored in a {@link ContentStore}.
 *
 * @param size     bytes on disk, which equal the content's size (blobs are only committed after verification)
 * @param modified when the blob was committed (its file's mtime)
 */
public record BlobInfo(Digest digest, long size, Instant modified) {
    public BlobInfo {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(modified, "modified");
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size + " for " + digest);
        }
    }
}
