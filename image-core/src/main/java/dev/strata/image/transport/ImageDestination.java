package dev.strata.image.transport;

import dev.strata.image.model.Descriptor;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Where a copy writes an image: blobs first (any order, possibly in parallel), then the manifests of an index, then
 * the root document, which {@link #commit} names. Nothing is visible under the destination's name before commit.
 */
public interface ImageDestination extends Closeable {
    /** True when the destination already holds {@code blob}: the copy sends nothing for it. */
    boolean hasBlob(Descriptor blob) throws IOException;

    /**
     * Tries to make {@code blob} present without sending its bytes: a registry mounts it from another repository of
     * the same registry. False when this destination cannot.
     */
    default boolean mountBlob(Descriptor blob, ImageSource.RegistryRepository from) throws IOException {
        return false;
    }

    /**
     * Stores {@code blob}, reading a stream of {@code content} to EOF (a destination that retries opens another).
     * Unless {@link #verifiesBlobs()}, each stream is verified as it is read: at EOF it throws if the bytes do not
     * match, and the destination must then keep nothing.
     */
    void putBlob(Descriptor blob, Content content) throws IOException;

    /** Opens the bytes of a blob from its start; may be called again (a retried upload). */
    @FunctionalInterface
    interface Content {
        InputStream open() throws IOException;
    }

    /** True when the destination checks digest and size itself as it writes (a content store does). */
    default boolean verifiesBlobs() {
        return false;
    }

    /**
     * Called with each manifest before its blobs are copied: a store protects what is about to arrive from a
     * concurrent gc.
     */
    default void prepare(Document manifest) throws IOException {
    }

    /** Stores a manifest an index lists (before the index itself). */
    void putManifest(Document manifest) throws IOException;

    /** Stores the root manifest or index and names it; the copy is complete when this returns. */
    void commit(Document root) throws IOException;

    /**
     * The layer compression this destination requires, if any: a {@code docker save} archive holds uncompressed
     * layers only.
     */
    default Optional<dev.strata.image.layer.Compression> requiredLayerCompression() {
        return Optional.empty();
    }

    /** False when the destination holds single images only (an index is refused before anything is copied). */
    default boolean acceptsIndex() {
        return true;
    }

    /** Finishes the destination (an archive is written here); called once after every commit. */
    @Override
    default void close() throws IOException {
    }
}
