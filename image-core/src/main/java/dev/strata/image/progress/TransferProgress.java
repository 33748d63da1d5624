package dev.strata.image.progress;

import dev.strata.image.digest.Digest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongFunction;

/**
 * Reports a blob's bytes as they pass through a stream: an event at the first read, every {@code step} bytes and at
 * EOF. One class for downloads ({@link ProgressEvent.Downloading}) and uploads ({@link ProgressEvent.Uploading}).
 */
public final class TransferProgress extends FilterInputStream {
    private final ProgressListener listener;
    private final LongFunction<ProgressEvent> event;
    private final long step;
    private long bytes;
    private long reported = -1;

    private TransferProgress(InputStream in, ProgressListener listener, LongFunction<ProgressEvent> event, long step) {
        super(in);
        this.listener = listener;
        this.event = event;
        this.step = step;
    }

    /** Reports {@link ProgressEvent.Downloading} for blob {@code digest} of {@code total} bytes. */
    public static InputStream downloading(InputStream in, Digest digest, long total, long step,
                                          ProgressListener listener) {
        return new TransferProgress(in, listener, n -> new ProgressEvent.Downloading(digest, n, total), step);
    }

    /** Reports {@link ProgressEvent.Uploading} for blob {@code digest} of {@code total} bytes. */
    public static InputStream uploading(InputStream in, Digest digest, long total, long step,
                                        ProgressListener listener) {
        return new TransferProgress(in, listener, n -> new ProgressEvent.Uploading(digest, n, total), step);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            bytes += n;
        }
        if (reported < 0 || bytes - reported >= step || (n < 0 && reported != bytes)) {
            reported = bytes;
            listener.onEvent(event.apply(bytes));
        }
        return n;
    }
}
