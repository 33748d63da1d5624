package dev.strata.image.layer;

import dev.strata.image.digest.Digest;

import java.util.List;

/**
 * What applying a layer computed in its single pass.
 *
 * @param digest           digest of the blob as read (compressed bytes, trailing data included)
 * @param size             bytes of the blob
 * @param diffId           digest of the uncompressed tar (what {@code rootfs.diff_ids} lists)
 * @param uncompressedSize bytes of the uncompressed tar
 * @param compression      detected from the magic bytes
 * @param entries          tar entries applied (whiteouts included)
 * @param warnings         what could not be applied without privileges and was skipped or only recorded
 */
public record ApplyResult(Digest digest, long size, Digest diffId, long uncompressedSize, Compression compression,
                          long entries, List<String> warnings) {
    public ApplyResult {
        warnings = List.copyOf(warnings);
    }
}
