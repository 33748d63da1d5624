package dev.strata.image.digest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Passes bytes through while digesting and counting them. {@link #digest()} is only meaningful once the stream was
 * read to EOF; callers that need a final digest should use {@link #drainAndDigest()}.
 */
public class DigestingInputStream extends FilterInputStream {
    private final Digester digester;
    private boolean eof;

    public DigestingInputStream(InputStream in, DigestAlgorithm algorithm) {
        super(in);
        this.digester = new Digester(algorithm);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
            eof = true;
        } else {
            digester.update(new byte[] {(byte) b});
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            eof = true;
        } else if (n > 0) {
            digester.update(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes must still be hashed: read them instead.
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        long done = 0;
        while (done < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Bytes read so far. */
    public long size() {
        return digester.size();
    }

    public boolean atEof() {
        return eof;
    }

    /** Reads any remaining bytes, then returns the digest of the whole stream. */
    public Digest drainAndDigest() throws IOException {
        byte[] buf = new byte[64 * 1024];
        while (read(buf, 0, buf.length) >= 0) {
            // keep reading: trailing bytes count
        }
        return digester.digest();
    }

    /** The digest of what was read so far. Call once, at EOF. */
    public Digest digest() {
        return digester.digest();
    }
}
