package dev.strata.image.layer;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * How a layer blob is compressed. Detected from the magic bytes, never trusted from a media type alone: registries
 * and tools disagree on media types, the bytes do not lie.
 */
public enum Compression {
    NONE,
    GZIP,
    ZSTD;

    /**
     * Largest zstd window accepted when decompressing (2^27 = 128 MiB, zstd's own default limit): bounds the memory a
     * hostile frame can make the decoder allocate.
     */
    public static final int ZSTD_MAX_WINDOW_LOG = 27;

    private static final int BUFFER = 128 * 1024;

    /** Detects the compression of the first bytes of a blob ({@code len} may be shorter than 4). */
    public static Compression detect(byte[] head, int len) {
        if (len >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (len >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }

    /**
     * Peeks at {@code in} (which must support mark/reset; wrap it in a {@link BufferedInputStream} otherwise) and
     * returns its compression without consuming anything.
     */
    public static Compression detect(InputStream in) throws IOException {
        if (!in.markSupported()) {
            throw new IllegalArgumentException("stream must support mark/reset");
        }
        byte[] head = new byte[4];
        in.mark(head.length);
        int n = 0;
        try {
            while (n < head.length) {
                int r = in.read(head, n, head.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
        } finally {
            in.reset();
        }
        return detect(head, n);
    }

    /**
     * Which library inflates gzip layers in this JVM: {@code "ISA-L (libisal.so.2)"} when it loads (about twice
     * zlib's speed), else {@code "zlib (JDK)"}. For diagnostics such as {@code image-tool --version}.
     */
    public static String gzipDecoder() {
        return IsalGzipInputStream.loaded() ? "ISA-L (libisal.so.2)" : "zlib (JDK)";
    }

    /** A stream of the uncompressed bytes. Closing it closes {@code in}. */
    public InputStream decompress(InputStream in) throws IOException {
        switch (this) {
            case GZIP:
                if (IsalGzipInputStream.loaded()) {
                    return new IsalGzipInputStream(in); // ISA-L's inflate: ~2.4x zlib's speed
                }
                // GZIPInputStream reads concatenated members, as gzip(1) does, if it can tell that one follows.
                return new GZIPInputStream(new MemberBoundaryInputStream(in), BUFFER);
            case ZSTD:
                ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(in);
                z.setLongMax(ZSTD_MAX_WINDOW_LOG);
                return z;
            default:
                return in;
        }
    }

    /**
     * A compressing stream onto {@code out}; closing it finishes the frame and closes {@code out}.
     *
     * @param level gzip 1-9 or zstd 1-19; 0 means the format's default (gzip 6, zstd 3)
     */
    public OutputStream compress(OutputStream out, int level) throws IOException {
        switch (this) {
            case GZIP: {
                // Layers are written once and decompressed many times; level 6 matches gzip(1)'s default size.
                int l = level == 0 ? Deflater.DEFAULT_COMPRESSION : level;
                return new GZIPOutputStream(out, BUFFER) {
                    {
                        def.setLevel(l);
                    }
                };
            }
            case ZSTD:
                return new ZstdOutputStreamNoFinalizer(out, level == 0 ? 3 : level);
            default:
                return out;
        }
    }

    /** The OCI layer media type for a blob compressed this way. */
    public String ociLayerMediaType() {
        switch (this) {
            case GZIP:
                return dev.strata.image.model.MediaType.OCI_LAYER_GZIP;
            case ZSTD:
                return dev.strata.image.model.MediaType.OCI_LAYER_ZSTD;
            default:
                return dev.strata.image.model.MediaType.OCI_LAYER;
        }
    }

    /** Parses {@code gzip}, {@code zstd} or {@code none} (as CLI options spell them). */
    public static Compression parse(String name) {
        switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "gzip":
            case "gz":
                return GZIP;
            case "zstd":
            case "zst":
                return ZSTD;
            case "none":
            case "plain":
            case "tar":
                return NONE;
            default:
                throw new IllegalArgumentException("unknown compression '" + name + "' (gzip, zstd or none)");
        }
    }
}
