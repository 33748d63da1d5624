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
 * @param incomplete       only in stores written by older versions, which wrote the record before applying; a store
 *                         opened for writing deletes incomplete layers. A layer being applied now is recorded in its
 *                         {@link LayerLease} instead, and gets its record only once complete.
 *
 * <p>Who uses a layer is not stored here: the image records whose chains contain it and the live leases that hold it
 * (see {@link LayerStore}).
 */
public record LayerRecord(Digest chainId, Digest parent, Digest diffId, String driverId, Digest compressedDigest,
                          long compressedSize, long uncompressedSize, String compression, boolean incomplete) {
    public LayerRecord {
        Objects.requireNonNull(chainId, "chainId");
        Objects.requireNonNull(diffId, "diffId");
        Objects.requireNonNull(driverId, "driverId");
    }
}
