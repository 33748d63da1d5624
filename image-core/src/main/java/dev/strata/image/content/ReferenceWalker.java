package dev.strata.image.content;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.InvalidImageException;
import dev.strata.image.StrataException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.MediaType;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Finds every blob reachable from an index by following descriptors in raw JSON: {@code manifests[]} of indexes,
 * {@code config}, {@code layers[]}, {@code blobs[]} and {@code subject} of manifests. Blobs of other media types are
 * leaves. It is deliberately independent of the strict model parsers: garbage collection must not depend on them
 * accepting every manifest, and when a reachable manifest cannot be read at all the walk fails instead of
 * pretending its children are garbage.
 */
final class ReferenceWalker {
    /** The OCI 1.1-rc artifact manifest, which lists its content in {@code blobs[]}. */
    static final String OCI_ARTIFACT_MANIFEST = "application/vnd.oci.artifact.manifest.v1+json";

    /** Reads a stored blob of at most the given cap, verified; empty when it is not stored. */
    interface BlobSource {
        Optional<byte[]> read(Digest digest, long cap) throws IOException;
    }

    private record Pending(JsonNode descriptor, String where) {
    }

    private final BlobSource source;

    ReferenceWalker(BlobSource source) {
        this.source = source;
    }

    /**
     * Digests reachable from the descriptors in {@code roots} (the {@code manifests} array of index.json).
     *
     * @throws InvalidImageException if a reachable index or manifest is stored but unreadable (too large, corrupt,
     *                               not JSON, or holding a malformed descriptor); the caller must then delete nothing
     */
    Set<Digest> reachable(JsonNode roots, String where) throws IOException {
        Set<Digest> seen = new LinkedHashSet<>();
        Deque<Pending> work = new ArrayDeque<>();
        enqueueArray(roots, where, work);
        while (!work.isEmpty()) {
            Pending p = work.pop();
            Digest digest = LayoutIndex.digest(p.descriptor(), p.where());
            if (!seen.add(digest)) {
                continue;
            }
            String mediaType = p.descriptor().path("mediaType").textValue();
            if (!hasChildren(mediaType)) {
                continue;
            }
            Optional<byte[]> bytes;
            try {
                bytes = source.read(digest, LayoutIndex.MAX_JSON_SIZE);
            } catch (StrataException e) {
                throw new InvalidImageException("cannot read " + mediaType + " " + digest + " referenced from "
                        + p.where() + ": " + e.getMessage(), e);
            }
            if (bytes.isEmpty()) {
                continue; // not stored: nothing below it can be known, nothing of it is at risk
            }
            String here = digest.toString();
            JsonNode tree = LayoutIndex.parse(bytes.get(), here + " (referenced from " + p.where() + ")");
            if (!tree.isObject()) {
                throw new InvalidImageException(here + " (referenced from " + p.where() + "): not a JSON object");
            }
            enqueueArray(tree.get("manifests"), here + ".manifests", work);
            enqueueArray(tree.get("layers"), here + ".layers", work);
            enqueueArray(tree.get("blobs"), here + ".blobs", work);
            enqueueObject(tree.get("config"), here + ".config", work);
            enqueueObject(tree.get("subject"), here + ".subject", work);
        }
        return seen;
    }

    static boolean hasChildren(String mediaType) {
        return mediaType != null && (MediaType.isIndex(mediaType) || MediaType.isManifest(mediaType)
                || OCI_ARTIFACT_MANIFEST.equals(mediaType));
    }

    private static void enqueueArray(JsonNode array, String where, Deque<Pending> work) {
        if (array == null || array.isNull()) {
            return;
        }
        if (!array.isArray()) {
            throw new InvalidImageException(where + ": must be an array of descriptors");
        }
        for (int i = 0; i < array.size(); i++) {
            enqueueObject(array.get(i), where + "[" + i + "]", work);
        }
    }

    private static void enqueueObject(JsonNode descriptor, String where, Deque<Pending> work) {
        if (descriptor == null || descriptor.isNull()) {
            return;
        }
        if (!descriptor.isObject()) {
            throw new InvalidImageException(where + ": must be a descriptor object");
        }
        work.push(new Pending(descriptor, where));
    }
}
