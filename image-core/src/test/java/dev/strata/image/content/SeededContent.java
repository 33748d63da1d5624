package dev.strata.image.content;

import dev.strata.image.digest.Digest;
import dev.strata.image.digest.Digester;

import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;

/**
 * Deterministic pseudo-random content of a given size: block i is generated from (seed, i), so the same bytes
 * come out in the parent test and in a child JVM, whatever the read sizes, and skipping is cheap.
 */
final class SeededContent extends InputStream {
    static final int BLOCK = 64 * 1024;

    private final long seed;
    private final long size;
    private final byte[] block = new byte[BLOCK];
    private long blockIndex = -1;
    private long pos;

    SeededContent(long seed, long size) {
        this.seed = seed;
        this.size = size;
    }

    static Digest digest(long seed, long size) throws IOException {
        Digester d = Digester.sha256();
        try (InputStream in = new SeededContent(seed, size)) {
            byte[] buf = new byte[BLOCK];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
        }
        return d.digest();
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (pos >= size) {
            return -1;
        }
        long idx = pos / BLOCK;
        if (idx != blockIndex) {
            new SplittableRandom(seed * 1_000_003L + idx).nextBytes(block);
            blockIndex = idx;
        }
        int inBlock = (int) (pos % BLOCK);
        int n = (int) Math.min(Math.min(len, BLOCK - inBlock), size - pos);
        System.arraycopy(block, inBlock, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) {
        long k = Math.max(0, Math.min(n, size - pos));
        pos += k;
        return k;
    }
}
