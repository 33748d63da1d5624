package dev.strata.image.store;

import dev.strata.image.digest.Digest;

import java.util.Objects;

/**
 * What the store knows about one layer, kept in {@code <root>/layers/<chainid-hex>.json}.
 *
 * @param chainId          the layer with all its parents (the key)
 * @param parent           chain id of the parent, or null for a base layer
 * @param diffId           digest of the uncompressed layer tar
 * @param driverId         the driver's id for the layer's directory (random, so a half-made layer never collides)
 * @param compressedDigest digest of the blob it was registered from
 * @param compressedSize   bytes of that blob
 * @param uncompressedSize bytes of the uncompressed tar
 * @param compression      {@code none}, {@code gzip} or {@code zstd}
 * @param references       registrations not yet released; the layer is removable when 0 and it has no children
 * @param incomplete       written before the driver directory exists, cleared when the layer is verified; a store
 *                         opened for writing deletes incomplete layers
 */
public record LayerRecord(Digest chainId, Digest parent, Digest diffId, String driverId, Digest compressedDigest,
                          long compressedSize, long uncompressedSize, String compression, int references,
                          boolean incomplete) {
    public LayerRecord {
        Objects.requireNonNull(chainId, "chainId");
        Objects.requireNonNull(diffId, "diffId");
        Objects.requireNonNull(driverId, "driverId");
    }

    LayerRecord withReferences(int n) {
        return new LayerRecord(chainId, parent, diffId, driverId, compressedDigest, compressedSize,
                uncompressedSize, compression, n, incomplete);
    }
}
