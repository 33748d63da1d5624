package dev.strata.image.transport;

import dev.strata.image.model.Descriptor;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Where a copy reads an image from. A source hands out bytes; the copy engine verifies every one of them against the
 * descriptor it asked for, so a source does not verify what it returns.
 */
public interface ImageSource extends Closeable {
    /** The manifest or index the location names, with its exact bytes. */
    Document root() throws IOException;

    /** A manifest an index of this source lists, with its exact bytes (not yet verified). */
    byte[] manifest(Descriptor manifest) throws IOException;

    /** The content of a config or layer blob from its start (not yet verified). */
    InputStream blob(Descriptor blob) throws IOException;

    /**
     * True when {@link #root()} was made here rather than read (a {@code docker save} archive has no manifest): its
     * digest is new, while the config and the DiffIDs are the archive's.
     */
    default boolean madeManifest() {
        return false;
    }

    /** The registry host and repository this source reads from, for cross-repository blob mounts. */
    default Optional<RegistryRepository> registryRepository() {
        return Optional.empty();
    }

    /** A repository of a registry (the host as the API is reached). */
    record RegistryRepository(String host, String repository) {
    }

    @Override
    default void close() throws IOException {
    }
}
