package dev.strata.image.digest;

import java.io.IOException;
import java.io.InputStream;

/**
 * Passes bytes through while digesting and counting them. {@link #digest()} is only meaningful once the stream was
 * read to EOF; callers that need a final digest should use {@link #drainAndDigest()}.
 */
public class DigestingInputStream extends ReadThroughInputStream {
    private final Digester digester;
    private boolean eof;

    public DigestingInputStream(InputStream in, DigestAlgorithm algorithm) {
        super(in);
        this.digester = new Digester(algorithm);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n < 0) {
            eof = true;
        } else if (n > 0) {
            digester.update(b, off, n);
        }
        return n;
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
