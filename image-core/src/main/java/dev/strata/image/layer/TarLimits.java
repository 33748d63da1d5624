package dev.strata.image.layer;

/**
 * Bounds that keep a hostile archive from exhausting memory while its headers are parsed.
 *
 * @param maxHeaderSize     largest PAX extended header or GNU long name/link record, in bytes
 * @param maxNameLength     longest entry name or link target, in bytes (Linux's PATH_MAX is 4096)
 * @param maxSparseSegments most data segments one sparse file may declare
 */
public record TarLimits(int maxHeaderSize, int maxNameLength, int maxSparseSegments) {
    public static final TarLimits DEFAULT = new TarLimits(1 << 20, 4096, 1 << 16);

    public TarLimits {
        if (maxHeaderSize < 512 || maxNameLength < 256 || maxSparseSegments < 1) {
            throw new IllegalArgumentException("tar limits too small: " + maxHeaderSize + ", " + maxNameLength + ", "
                    + maxSparseSegments);
        }
    }
}
