package dev.strata.image.layer;

import dev.strata.image.UnsafeLayerException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.Digester;
import dev.strata.image.internal.Failures;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The decoding half of applying a layer: blob bytes in, uncompressed tar bytes out, with the blob digest, the DiffID
 * and both sizes computed on the way. Everything is read to EOF (trailing data included) before the digests are
 * final. Optionally runs on its own thread, handing 256 KiB chunks to the writer through a small bounded queue, so
 * inflating and hashing overlap with file creation while memory stays bounded (a few MiB).
 */
final class LayerStream implements AutoCloseable {
    private static final int CHUNK = 256 * 1024;
    private static final int QUEUE = 16;
    private static final byte[] END = new byte[0];

    /** The digests and sizes once the whole blob was read. */
    record Summary(Digest digest, long size, Digest diffId, long uncompressedSize, Compression compression) {
    }

    private final InputStream blob;
    private final long maxUncompressed;
    private final Digester blobDigester = Digester.sha256();
    private final Digester tarDigester = Digester.sha256();
    private long tarBytes;
    // Set by the decoding side once the blob is drained; read after the END chunk (happens-before via the queue).
    private Digest blobDigest;
    private long blobSize;
    private Compression compression;
    private volatile Summary summary;

    // pipelined mode
    private final BlockingQueue<byte[]> filled = new ArrayBlockingQueue<>(QUEUE + 1);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(QUEUE + 2);
    private volatile Throwable producerError;
    private volatile boolean closed;
    private Thread producer;

    private LayerStream(InputStream blob, long maxUncompressed) {
        this.blob = blob;
        this.maxUncompressed = maxUncompressed;
    }

    /** Starts decoding {@code blob}; the returned object yields the tar through {@link #tar()}. */
    static LayerStream open(InputStream blob, long maxUncompressed, boolean pipelined) throws IOException {
        LayerStream s = new LayerStream(blob, maxUncompressed);
        if (pipelined) {
            s.startProducer();
        }
        return s;
    }

    private InputStream tarStream;

    /** The uncompressed tar. Read it to EOF (or call {@link #finish()}), then ask {@link #finish()}. */
    InputStream tar() throws IOException {
        if (tarStream == null) {
            tarStream = producer != null ? new QueueInput() : new DecodingInput(openDecoder());
        }
        return tarStream;
    }

    /** Drains whatever is left of the blob and returns its digests. */
    Summary finish() throws IOException {
        InputStream t = tar();
        byte[] buf = new byte[CHUNK];
        while (t.read(buf, 0, buf.length) >= 0) {
            // trailing bytes of the tar and of the blob are part of the digests
        }
        if (summary == null) {
            throw new IllegalStateException("layer stream ended without a summary");
        }
        return summary;
    }

    private InputStream rawBuffered;

    private InputStream openDecoder() throws IOException {
        InputStream counted = new BulkInputStream() {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = blob.read(b, off, len);
                if (n > 0) {
                    blobDigester.update(b, off, n);
                }
                return n;
            }
        };
        rawBuffered = new BufferedInputStream(counted, CHUNK);
        compression = Compression.detect(rawBuffered);
        return compression.decompress(rawBuffered);
    }

    /** Called at the end of the uncompressed stream by the decoding side: drain the blob, freeze its digest. */
    private void complete() throws IOException {
        byte[] buf = new byte[CHUNK];
        while (rawBuffered.read(buf, 0, buf.length) >= 0) {
            // trailing data after the compressed stream still belongs to the blob digest
        }
        blobSize = blobDigester.size();
        blobDigest = blobDigester.digest();
    }

    /** Called by the reading side once it has seen every tar byte. */
    private void summarize() {
        // An uncompressed blob is its own tar: the DiffID is the blob digest, no second hash needed.
        Digest diffId = compression == Compression.NONE ? blobDigest : tarDigester.digest();
        summary = new Summary(blobDigest, blobSize, diffId, tarBytes, compression);
    }

    /** Counts decoded bytes against the cap (on the decoding side). */
    private void count(int n) {
        tarBytes += n;
        if (tarBytes > maxUncompressed) {
            throw new UnsafeLayerException("layer expands beyond the limit of " + maxUncompressed
                    + " uncompressed bytes (decompression bomb?)");
        }
    }

    /** Hashes tar bytes for the DiffID (on the reading side, so it overlaps with decompression). */
    private void hashTar(byte[] b, int off, int n) {
        if (compression != Compression.NONE) {
            tarDigester.update(b, off, n);
        }
    }

    /** Single-threaded: decode as the tar reader pulls. */
    private final class DecodingInput extends BulkInputStream {
        private final InputStream decoder;
        private boolean eof;

        DecodingInput(InputStream decoder) {
            this.decoder = decoder;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (eof) {
                return -1;
            }
            int n = decoder.read(b, off, len);
            if (n < 0) {
                eof = true;
                complete();
                summarize();
                return -1;
            }
            count(n);
            hashTar(b, off, n);
            return n;
        }
    }

    private void startProducer() {
        producer = new Thread(this::produce, "strata-layer-decode");
        producer.setDaemon(true);
        producer.start();
    }

    private void produce() {
        try {
            InputStream decoder = openDecoder();
            while (!closed) {
                byte[] chunk = free.poll();
                if (chunk == null) {
                    chunk = new byte[CHUNK];
                }
                int filledBytes = 0;
                while (filledBytes < CHUNK) {
                    int n = decoder.read(chunk, filledBytes, CHUNK - filledBytes);
                    if (n < 0) {
                        break;
                    }
                    count(n);
                    filledBytes += n;
                }
                if (filledBytes == 0) {
                    break;
                }
                put(filledBytes == CHUNK ? chunk : java.util.Arrays.copyOf(chunk, filledBytes));
                if (filledBytes < CHUNK) {
                    break;
                }
            }
            if (!closed) {
                complete();
            }
        } catch (Throwable t) {
            producerError = t;
        } finally {
            try {
                put(END);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void put(byte[] chunk) throws InterruptedException {
        while (!filled.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
            if (closed) {
                return;
            }
        }
    }

    /** Pipelined: the writer's view of the decoded chunks. */
    private final class QueueInput extends BulkInputStream {
        private byte[] current;
        private int pos;
        private boolean eof;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (current == null || pos == current.length) {
                if (eof) {
                    return -1;
                }
                if (current != null && current.length == CHUNK) {
                    free.offer(current);
                }
                try {
                    current = filled.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading the layer");
                }
                pos = 0;
                if (current == END) {
                    eof = true;
                    current = null;
                    rethrowProducerError();
                    summarize();
                    return -1;
                }
                hashTar(current, 0, current.length);
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    private void rethrowProducerError() throws IOException {
        Throwable t = producerError;
        if (t != null) {
            throw Failures.rethrow(t);
        }
    }

    /** Stops the decoding thread (if any) without draining; safe to call after {@link #finish()}. */
    @Override
    public void close() {
        closed = true;
        if (producer != null) {
            filled.clear();
            try {
                producer.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
