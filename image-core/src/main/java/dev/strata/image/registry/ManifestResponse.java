package dev.strata.image.registry;

import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ManifestDocument;

/**
 * A manifest or index as served by a registry, parsed from its exact bytes.
 *
 * @param document the parsed manifest or index; {@code document.raw()} are the bytes received
 * @param digest   the digest of those bytes (checked against the requested digest, when one was requested,
 *                 and against {@code Docker-Content-Digest}, when the registry sent one)
 */
public record ManifestResponse(ManifestDocument document, Digest digest) {

    public String mediaType() {
        return document.mediaType();
    }

    public byte[] raw() {
        return document.raw();
    }

    public Descriptor descriptor() {
        return new Descriptor(document.mediaType(), digest, document.size());
    }
}
