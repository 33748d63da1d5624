package dev.strata.image.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;

/**
 * Read-only access to one directory tree, never following a symlink. Paths are relative to the tree's root,
 * {@code ""} for the root itself, components separated by {@code /}. This is the one seam between the diff code and
 * the file system, so that xattr reading can move to fd-relative native calls without touching the diff logic.
 */
interface TreeReader extends java.io.Closeable {

    /** The metadata of {@code rel}, or {@code null} when nothing exists there. */
    NodeMeta lstat(String rel) throws IOException;

    /** Names in the directory {@code rel}, sorted by {@link Paths#NAME_ORDER}. */
    List<String> list(String rel) throws IOException;

    /** Target of the symlink {@code rel}, as stored. */
    String readLink(String rel) throws IOException;

    /** All extended attributes of {@code rel} that can be read, sorted by name. */
    SortedMap<String, byte[]> xattrs(String rel, NodeMeta meta) throws IOException;

    /** Content of the regular file {@code rel}; refuses to follow a symlink. */
    InputStream open(String rel) throws IOException;

    /** Releases native resources (a directory fd); the reader is unusable afterwards. */
    @Override
    void close();

    static TreeReader of(Path root) {
        return new NioTreeReader(root);
    }
}
