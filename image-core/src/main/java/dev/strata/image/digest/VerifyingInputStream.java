package dev.strata.image.digest;

import dev.strata.image.DigestMismatchException;

import java.io.IOException;
import java.io.InputStream;

/**
 * Streams content that must match a descriptor: never yields more than {@code expectedSize} bytes and, on reaching
 * EOF, throws {@link DigestMismatchException} if the size or digest differs. A reader that stops early has not
 * verified anything; consumers that trust the bytes must read to EOF.
 */
public final class VerifyingInputStream extends ReadThroughInputStream {
    private final Digest expected;
    private final long expectedSize;
    private final Digester digester;
    private boolean verified;

    /**
     * @param expectedSize the exact size, or -1 when unknown (then only the digest is checked, and no cap applies)
     */
    public VerifyingInputStream(InputStream in, Digest expected, long expectedSize) {
        super(in);
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.digester = new Digester(expected.algorithm());
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (expectedSize >= 0) {
            long left = expectedSize - digester.size();
            if (left <= 0) {
                // Look for one extra byte: a longer stream is a mismatch, not a silent truncation.
                int extra = in.read();
                if (extra >= 0) {
                    throw new DigestMismatchException("content for " + expected + " is longer than the expected "
                            + expectedSize + " bytes");
                }
                verifyAtEof();
                return -1;
            }
            len = (int) Math.min(len, left);
        }
        int n = in.read(b, off, len);
        if (n < 0) {
            verifyAtEof();
            return -1;
        }
        digester.update(b, off, n);
        return n;
    }

    /** True once EOF was reached and the content matched. */
    public boolean verified() {
        return verified;
    }

    private void verifyAtEof() {
        if (verified) {
            return;
        }
        long size = digester.size();
        if (expectedSize >= 0 && size != expectedSize) {
            throw new DigestMismatchException("content for " + expected + " is " + size + " bytes, expected "
                    + expectedSize);
        }
        Digest actual = digester.digest();
        if (!actual.equals(expected)) {
            throw new DigestMismatchException("content digest mismatch: expected " + expected + ", got " + actual);
        }
        verified = true;
    }
}
