package dev.strata.image.model;

import java.time.Instant;

/**
 * One step of an image's build history. Entries with {@code emptyLayer} made no layer, so they have no
 * counterpart in {@code rootfs.diff_ids}.
 *
 * @param created   may be null
 * @param createdBy may be null
 * @param author    may be null
 * @param comment   may be null
 */
public record HistoryEntry(Instant created, String createdBy, String author, String comment, boolean emptyLayer) {
}
