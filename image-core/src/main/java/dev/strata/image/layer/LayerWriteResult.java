package dev.strata.image.layer;

import dev.strata.image.digest.Digest;

import java.util.Objects;

/**
 * What {@link LayerWriter} produced, all computed while writing.
 *
 * @param digest           digest of the bytes written (the blob, compressed)
 * @param size             number of bytes written
 * @param diffId           digest of the uncompressed tar (the image config's {@code rootfs.diff_ids} entry)
 * @param uncompressedSize size of the uncompressed tar
 * @param compression      how the blob is compressed
 */
public record LayerWriteResult(Digest digest, long size, Digest diffId, long uncompressedSize,
                               Compression compression) {
    public LayerWriteResult {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(diffId, "diffId");
        Objects.requireNonNull(compression, "compression");
    }

    /** The OCI media type of the blob. */
    public String mediaType() {
        return compression.ociLayerMediaType();
    }
}
