package dev.strata.image.layer;

import java.util.Objects;

/**
 * One entry of a change set between two trees, as {@code podman diff} lists it.
 *
 * @param kind   added, modified or deleted
 * @param path   absolute-looking path inside the tree, e.g. {@code /etc/passwd}; never {@code /} itself. A name's
 *               bytes that are not UTF-8 are held as {@code U+DC80..U+DCFF} ({@link dev.strata.image.fs.FileNames})
 * @param opaque for a directory: it replaced the lower directory of the same name, so none of the lower directory's
 *               children survive (an overlay opaque directory; written as {@code .wh..wh..opq})
 */
public record Change(Kind kind, String path, boolean opaque) {

    /** What happened to a path. */
    public enum Kind {
        ADD('A'), MODIFY('C'), DELETE('D');

        private final char letter;

        Kind(char letter) {
            this.letter = letter;
        }

        /** The letter {@code podman diff} and {@code docker diff} print: A, C or D. */
        public char letter() {
            return letter;
        }
    }

    public Change {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/") || path.length() < 2 || path.endsWith("/") || path.contains("//")) {
            throw new IllegalArgumentException("change path must be absolute, not the root, without trailing or "
                    + "double slashes: '" + dev.strata.image.fs.FileNames.display(path) + "'");
        }
        if (opaque && kind == Kind.DELETE) {
            throw new IllegalArgumentException("a deleted path cannot be opaque: " + path);
        }
    }

    public static Change add(String path) {
        return new Change(Kind.ADD, path, false);
    }

    public static Change modify(String path) {
        return new Change(Kind.MODIFY, path, false);
    }

    public static Change delete(String path) {
        return new Change(Kind.DELETE, path, false);
    }

    /** The path relative to the tree root, without the leading slash. */
    String relativePath() {
        return path.substring(1);
    }

    /**
     * {@code A /etc/x}, as {@code podman diff} prints it, with the path escaped to one line
     * ({@link dev.strata.image.fs.FileNames#display}: a name may hold a newline, a backslash or bytes that are not
     * UTF-8).
     */
    @Override
    public String toString() {
        return kind.letter + " " + dev.strata.image.fs.FileNames.display(path);
    }
}
