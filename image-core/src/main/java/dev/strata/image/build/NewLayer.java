package dev.strata.image.build;

import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.HistoryEntry;
import dev.strata.image.model.MediaType;

import java.util.Objects;

/**
 * A layer to add to an image: its blob as stored (compressed or not), the digest of its uncompressed tar (the
 * DiffID) and the history entry that records it.
 *
 * @param history may be null for no history entry (Docker then shows the layer without one)
 */
public record NewLayer(Descriptor blob, Digest diffId, HistoryEntry history) {
    public NewLayer {
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(diffId, "diffId");
        if (!MediaType.isLayer(blob.mediaType())) {
            throw new IllegalArgumentException("not a layer media type: " + blob.mediaType());
        }
        if (history != null && history.emptyLayer()) {
            throw new IllegalArgumentException("the history entry of a layer must not say empty_layer");
        }
    }
}
