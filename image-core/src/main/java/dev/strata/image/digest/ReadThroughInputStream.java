package dev.strata.image.digest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A filter whose every byte must pass through {@link #read(byte[], int, int)}, where subclasses hash it: the
 * single-byte read and {@code skip} are routed there (a skipped byte still counts), and mark/reset is refused
 * (a rewound byte would be hashed twice).
 */
abstract class ReadThroughInputStream extends FilterInputStream {
    ReadThroughInputStream(InputStream in) {
        super(in);
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        do {
            n = read(one, 0, 1);
        } while (n == 0);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(Math.max(n, 1), 8192)];
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

    @Override
    public synchronized void mark(int readlimit) {
        // not supported: see markSupported
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset is not supported by " + getClass().getSimpleName());
    }
}
