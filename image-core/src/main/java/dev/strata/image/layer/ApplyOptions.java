package dev.strata.image.layer;

/**
 * How {@link LayerApplier} applies a layer.
 *
 * @param whiteouts         deletion or overlay form
 * @param maxUncompressed   cap on the uncompressed tar size (bombs); the layer fails once it is exceeded
 * @param maxEntries        cap on the number of entries
 * @param limits            bounds on tar headers
 * @param ownership         apply ownership, record it only (rootless), or decide from the process's capabilities
 * @param failOnUnsupported when a device node or owner cannot be applied without privileges: fail instead of
 *                          skipping it with a warning in the result
 * @param userXattrs        overlay form for an unprivileged (user namespace) overlay mount: {@code user.overlay.*}
 * @param pipelined         decompress and hash on a second thread while this one writes files
 */
public record ApplyOptions(WhiteoutMode whiteouts, long maxUncompressed, long maxEntries, TarLimits limits,
                           Ownership ownership, boolean failOnUnsupported, boolean userXattrs, boolean pipelined) {

    /** 128 GiB: above any real layer, below what fills a disk by surprise. */
    public static final long DEFAULT_MAX_UNCOMPRESSED = 128L << 30;
    public static final long DEFAULT_MAX_ENTRIES = 8_000_000;

    /** Who owns extracted files. */
    public enum Ownership {
        /** Apply uid/gid when the process may (CAP_CHOWN), else record them. */
        AUTO,
        /** Always chown; fails without privileges. */
        APPLY,
        /** Never chown; files belong to the extracting user (rootless). */
        RECORD_ONLY
    }

    public ApplyOptions {
        java.util.Objects.requireNonNull(whiteouts, "whiteouts");
        java.util.Objects.requireNonNull(limits, "limits");
        java.util.Objects.requireNonNull(ownership, "ownership");
        if (maxUncompressed <= 0 || maxEntries <= 0) {
            throw new IllegalArgumentException("caps must be positive");
        }
    }

    /** Deletion-form defaults: what {@code unpack} and the VFS driver use. */
    public static ApplyOptions defaults() {
        return new ApplyOptions(WhiteoutMode.DELETE, DEFAULT_MAX_UNCOMPRESSED, DEFAULT_MAX_ENTRIES, TarLimits.DEFAULT,
                Ownership.AUTO, false, false, true);
    }

    public ApplyOptions withWhiteouts(WhiteoutMode mode) {
        return new ApplyOptions(mode, maxUncompressed, maxEntries, limits, ownership, failOnUnsupported, userXattrs,
                pipelined);
    }

    public ApplyOptions withMaxUncompressed(long cap) {
        return new ApplyOptions(whiteouts, cap, maxEntries, limits, ownership, failOnUnsupported, userXattrs,
                pipelined);
    }

    public ApplyOptions withOwnership(Ownership o) {
        return new ApplyOptions(whiteouts, maxUncompressed, maxEntries, limits, o, failOnUnsupported, userXattrs,
                pipelined);
    }

    public ApplyOptions withFailOnUnsupported(boolean fail) {
        return new ApplyOptions(whiteouts, maxUncompressed, maxEntries, limits, ownership, fail, userXattrs,
                pipelined);
    }

    public ApplyOptions withPipelined(boolean p) {
        return new ApplyOptions(whiteouts, maxUncompressed, maxEntries, limits, ownership, failOnUnsupported,
                userXattrs, p);
    }

    public ApplyOptions withLimits(TarLimits l) {
        return new ApplyOptions(whiteouts, maxUncompressed, maxEntries, l, ownership, failOnUnsupported, userXattrs,
                pipelined);
    }
}
