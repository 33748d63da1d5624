package dev.strata.image.layer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The compressed bytes as {@link java.util.zip.GZIPInputStream} needs to see them to read every member of a
 * multi-member blob (eStargz writes one member per file). At the end of a member it looks for the next one only if
 * its buffer still holds more than a trailer's worth of bytes or {@code available()} is positive; a network stream
 * between two packets reports 0, and the decompressed stream then ended in the middle of the layer without an
 * error. Here {@code available()} is positive whenever another byte follows: it reads one ahead, blocking, which is
 * what the decoding thread would do next anyway.
 */
final class MemberBoundaryInputStream extends FilterInputStream {
    private static final int NONE = -2;
    private int ahead = NONE;
    private boolean eof;

    MemberBoundaryInputStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        if (ahead != NONE) {
            int b = ahead;
            ahead = NONE;
            return b;
        }
        int b = in.read();
        eof = b < 0;
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (ahead != NONE) {
            b[off] = (byte) ahead;
            ahead = NONE;
            return 1;
        }
        int n = in.read(b, off, len);
        eof = n < 0;
        return n;
    }

    @Override
    public int available() throws IOException {
        if (ahead != NONE) {
            return 1 + in.available();
        }
        if (eof) {
            return 0;
        }
        int n = in.available();
        if (n > 0) {
            return n;
        }
        int b = in.read();
        if (b < 0) {
            eof = true;
            return 0;
        }
        ahead = b;
        return 1;
    }

    @Override
    public long skip(long n) throws IOException {
        if (n <= 0) {
            return 0;
        }
        if (ahead != NONE) {
            ahead = NONE;
            return 1;
        }
        return in.skip(n);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
        // not supported
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }
}
