package dev.strata.image.layer;

import java.util.List;
import java.util.Map;

/**
 * One member of a layer tar, after PAX, GNU long-name and sparse headers were folded in. Names are exactly as in
 * the archive (not cleaned); xattr values are the raw bytes (binary values such as {@code security.capability}
 * survive, which commons-compress's UTF-8 decoding of PAX values would not allow).
 *
 * @param size     bytes of data stored in the archive for this entry (for sparse files: only the data segments)
 * @param realSize the file's logical size (equals {@code size} unless sparse)
 * @param sparse   data segments of a sparse file in file order, or an empty list
 */
record TarEntry(String name, TarType type, int mode, long uid, long gid, long size, long realSize,
                long mtimeSeconds, int mtimeNanos, long atimeSeconds, int atimeNanos, boolean hasAtime,
                String linkName, int devMajor, int devMinor, Map<String, byte[]> xattrs,
                List<SparseSegment> sparse) {

    /** A stored run of data in a sparse file. */
    record SparseSegment(long offset, long length) {
    }

    boolean isSparse() {
        return !sparse.isEmpty();
    }
}
