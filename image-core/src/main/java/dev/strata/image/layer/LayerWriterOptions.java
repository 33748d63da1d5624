package dev.strata.image.layer;

import java.time.Instant;
import java.util.Objects;

/**
 * How {@link LayerWriter} encodes a layer.
 *
 * @param compression how the tar stream is compressed
 * @param level       compression level; 0 for the format's default (see {@link Compression#compress})
 * @param clampMtime  when not null, every mtime later than this instant is written as this instant (and whiteouts get
 *                    it as their mtime), for reproducible layers; the caller picks the instant (e.g.
 *                    {@code SOURCE_DATE_EPOCH}). When null, mtimes are written as found and whiteouts get the epoch.
 */
public record LayerWriterOptions(Compression compression, int level, Instant clampMtime) {

    public LayerWriterOptions {
        Objects.requireNonNull(compression, "compression");
        if (level < 0 || level > 22) {
            throw new IllegalArgumentException("compression level must be 0 (default) to 22, got " + level);
        }
    }

    /** Gzip at its default level, mtimes as found: what {@code podman commit} produces. */
    public static LayerWriterOptions defaults() {
        return new LayerWriterOptions(Compression.GZIP, 0, null);
    }

    public static LayerWriterOptions of(Compression compression) {
        return new LayerWriterOptions(compression, 0, null);
    }

    public LayerWriterOptions withClampMtime(Instant clamp) {
        return new LayerWriterOptions(compression, level, clamp);
    }
}
