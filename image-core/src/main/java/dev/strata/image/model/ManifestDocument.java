package dev.strata.image.model;

import dev.strata.image.digest.Digest;

import java.util.Map;

/**
 * What a manifest endpoint or a manifest blob can hold: an image manifest or an image index (a Docker manifest
 * list is an index). {@link Manifests#parse} returns one; the
 * interface is sealed, so the two cases are all there is.
 */
public sealed interface ManifestDocument permits ImageManifest, ImageIndex {
    int schemaVersion();

    /** The effective media type: from the body, else from the transport, else inferred; never null. */
    String mediaType();

    /** The OCI 1.1 subject this document refers to, or null. */
    Descriptor subject();

    Map<String, String> annotations();

    /** A copy of the exact bytes the document was parsed from (the bytes its digest covers). */
    byte[] raw();

    /** Digest of {@link #raw()}; never of a re-serialization. */
    Digest digest();

    /** Length of {@link #raw()} in bytes. */
    long size();

    /** A descriptor pointing at this document. */
    default Descriptor descriptor() {
        return new Descriptor(mediaType(), digest(), size());
    }
}
