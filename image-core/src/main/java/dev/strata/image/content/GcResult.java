package dev.strata.image.content;

import dev.strata.image.digest.Digest;

import java.util.List;

/**
 * What {@link ContentStore#gc} did.
 *
 * @param reachable           blobs referenced (directly or transitively) from {@code index.json}, present or not
 * @param removed             blobs deleted because nothing reachable refers to them, sorted
 * @param bytesFreed          total size of {@code removed}
 * @param staleIngestRemoved  abandoned partial writes, temp and lock files deleted from {@code ingest/}
 */
public record GcResult(int reachable, List<Digest> removed, long bytesFreed, int staleIngestRemoved) {
    public GcResult {
        removed = List.copyOf(removed);
    }
}
