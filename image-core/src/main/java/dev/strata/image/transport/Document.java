package dev.strata.image.transport;

import dev.strata.image.model.Descriptor;

/**
 * A manifest or index as it travels: its descriptor and its exact bytes (the digest is of these bytes).
 *
 * @param descriptor media type, digest and size of {@code raw}
 * @param raw        the document's bytes; not copied, never modified
 */
public record Document(Descriptor descriptor, byte[] raw) {
}
