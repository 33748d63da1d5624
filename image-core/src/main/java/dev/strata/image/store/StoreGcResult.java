package dev.strata.image.store;

import dev.strata.image.content.GcResult;
import dev.strata.image.digest.Digest;

import java.util.List;

/**
 * What {@link Store#gc} removed.
 *
 * @param layersRemoved ChainIDs of the layers no image referenced
 * @param content       the content store's collection (blobs no name reaches)
 */
public record StoreGcResult(List<Digest> layersRemoved, GcResult content) {
    public StoreGcResult {
        layersRemoved = List.copyOf(layersRemoved);
    }
}
