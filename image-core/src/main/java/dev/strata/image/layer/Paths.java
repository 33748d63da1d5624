package dev.strata.image.layer;

import dev.strata.image.fs.FileNames;

import java.util.Comparator;

/** Relative-path helpers shared by the tree walks and the tar writer. */
final class Paths {
    private Paths() {
    }

    /**
     * Names in byte order ({@link FileNames#compare}): code point order for UTF-8 names (String's natural order
     * compares UTF-16 units, which differs for characters beyond the BMP), the raw bytes for names that are not.
     */
    static final Comparator<String> NAME_ORDER = (a, b) -> FileNames.compare(a, b, false);

    /**
     * Paths in depth-first tree order: component by component in {@link #NAME_ORDER}, so a directory comes right before
     * its own descendants ({@code a}, {@code a/x}, {@code a-b}), the order a sorted tree walk produces. Treating
     * {@code /} as the smallest byte gives exactly that, since names never contain {@code /} or NUL.
     */
    static final Comparator<String> TREE_ORDER = (a, b) -> FileNames.compare(a, b, true);

    static String join(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    static String parent(String rel) {
        int slash = rel.lastIndexOf('/');
        return slash < 0 ? "" : rel.substring(0, slash);
    }

    static String name(String rel) {
        return rel.substring(rel.lastIndexOf('/') + 1);
    }
}
