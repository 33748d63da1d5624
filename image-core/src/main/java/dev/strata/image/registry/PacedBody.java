package dev.strata.image.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;

/**
 * A response body that must keep the pace {@link TransferLimits} sets: a document complete by its deadline, or a
 * blob at the minimum throughput over each stall window. Checked after every read (a drip makes reads return, a
 * silent server makes the read time out); on a stall the connection is dropped and {@link StalledException} says
 * what was read from which host and how much came.
 */
final class PacedBody extends FilterInputStream {
    private final TransferLimits limits;
    /** Bytes the blob still has to come, or -1 for a document. */
    private final long expected;
    private final long deadline;
    private final String what;
    private final long readTimeout;
    private final Runnable drop;
    private long received;
    private long windowStart;
    private long windowReceived;

    private PacedBody(InputStream in, TransferLimits limits, long expected, long startNanos, long readTimeout,
                      String what, Runnable drop) {
        super(in);
        this.limits = limits;
        this.expected = expected;
        this.deadline = startNanos + limits.documentDeadline().toNanos();
        this.windowStart = System.nanoTime();
        this.what = what;
        this.readTimeout = readTimeout;
        this.drop = drop;
    }

    /**
     * A document body, due {@link TransferLimits#documentDeadline()} after {@code startNanos} (the request).
     *
     * @param readTimeout the socket's read timeout in nanoseconds, for the message when a read times out
     * @param drop        closes the connection (called on the reading thread)
     */
    static InputStream document(InputStream in, TransferLimits limits, long startNanos, long readTimeout, String what,
                                Runnable drop) {
        return new PacedBody(in, limits, -1, startNanos, readTimeout, what, drop);
    }

    /** A blob body of {@code expected} bytes (-1: unknown), held to the minimum throughput. */
    static InputStream blob(InputStream in, TransferLimits limits, long expected, long readTimeout, String what,
                            Runnable drop) {
        return new PacedBody(in, limits, expected < 0 ? Long.MAX_VALUE : expected, 0, readTimeout, what, drop);
    }

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
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = in.read(b, off, len);
        } catch (SocketTimeoutException e) {
            drop.run();
            throw new StalledException(what + ": stalled, nothing received for "
                    + seconds(readTimeout) + " (" + kib(received) + " in all)", e);
        }
        if (n > 0) {
            received += n;
            check(System.nanoTime());
        }
        return n;
    }

    private void check(long now) throws StalledException {
        if (expected < 0) {
            if (now - deadline > 0) {
                drop.run();
                throw new StalledException(what + ": stalled, not complete within "
                        + seconds(limits.documentDeadline().toNanos()) + " (" + kib(received) + " received)");
            }
            return;
        }
        long elapsed = now - windowStart;
        if (elapsed < limits.stallWindow().toNanos()) {
            return;
        }
        long got = received - windowReceived;
        if (got < limits.minBytesPerWindow(expected - windowReceived)) {
            drop.run();
            throw new StalledException(what + ": stalled, " + kib(got) + " in " + seconds(elapsed));
        }
        windowStart = now;
        windowReceived = received;
    }

    private static String kib(long bytes) {
        return bytes < 1024 ? bytes + " bytes" : (bytes / 1024) + " KiB";
    }

    private static String seconds(long nanos) {
        double s = nanos / 1e9;
        return (s >= 10 ? String.valueOf(Math.round(s)) : String.format(java.util.Locale.ROOT, "%.1f", s)) + " s";
    }
}
