package dev.strata.image.model;

import dev.strata.image.digest.Digest;

/** The shared rule of the documents that keep their raw bytes: the digest is of exactly those bytes. */
final class RawBytes {
    private RawBytes() {
    }

    static Digest checkDigest(byte[] raw, Digest digest) {
        if (digest == null) {
            return Digest.sha256(raw);
        }
        Digest actual = digest.recompute(raw);
        if (!actual.equals(digest)) {
            throw new IllegalArgumentException("digest " + digest + " does not match the raw bytes (" + actual + ")");
        }
        return digest;
    }
}
