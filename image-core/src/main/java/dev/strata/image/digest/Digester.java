package dev.strata.image.digest;

import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * Streaming digest computation that also counts bytes. Not thread-safe; one per stream. Uses the JDK's
 * {@link MessageDigest}, which runs on the CPU's SHA extensions where present.
 */
public final class Digester {
    private final DigestAlgorithm algorithm;
    private final MessageDigest md;
    private long size;

    public Digester(DigestAlgorithm algorithm) {
        this.algorithm = algorithm;
        this.md = algorithm.newMessageDigest();
    }

    public static Digester sha256() {
        return new Digester(DigestAlgorithm.SHA256);
    }

    public DigestAlgorithm algorithm() {
        return algorithm;
    }

    public void update(byte[] b, int off, int len) {
        md.update(b, off, len);
        size += len;
    }

    public void update(byte[] b) {
        update(b, 0, b.length);
    }

    public void update(ByteBuffer buffer) {
        size += buffer.remaining();
        md.update(buffer);
    }

    /** Bytes seen so far. */
    public long size() {
        return size;
    }

    /** The digest of everything seen so far; the digester then starts over at size 0. */
    public Digest digest() {
        size = 0;
        return Digest.of(algorithm, md.digest());
    }
}
