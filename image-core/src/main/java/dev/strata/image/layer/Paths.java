package dev.strata.image.layer;

import java.util.Comparator;

/** Relative-path helpers shared by the tree walks and the tar writer. */
final class Paths {
    private Paths() {
    }

    /**
     * Names in UTF-8 byte order, i.e. code point order (String's natural order compares UTF-16 units, which differs
     * for characters beyond the BMP).
     */
    static final Comparator<String> NAME_ORDER = Paths::compareCodePoints;

    /**
     * Paths in depth-first tree order: component by component in {@link #NAME_ORDER}, so a directory comes right before
     * its own descendants ({@code a}, {@code a/x}, {@code a-b}), the order a sorted tree walk produces. Treating
     * {@code /} as the smallest character gives exactly that, since names never contain {@code /} or NUL.
     */
    static final Comparator<String> TREE_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca == '/' ? 0 : ca, cb == '/' ? 0 : cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

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

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
