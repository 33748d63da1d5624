package dev.strata.image.layer;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.ZipException;

/**
 * A gzip stream (RFC 1952, concatenated members too) decoded by Intel's ISA-L ({@code libisal.so.2}, Debian package
 * {@code libisal2}) through jnr-ffi. Its inflate runs about 2.4× as fast as zlib's here — {@code igzip -dc} 1.15 s
 * vs 2.8 s for zlib (Python's {@code zlib}, the library the JDK's {@code Inflater} uses) on a 244 MB gzip of
 * /usr/share — and zlib's inflate alone was most of the time of applying a gzip layer. Used only when the library
 * loads; {@link Compression#GZIP} falls back to {@link java.util.zip.GZIPInputStream} otherwise.
 *
 * <p>ISA-L decodes the raw deflate data; the gzip wrapper is read here, and every member's CRC-32 and length are
 * checked against its trailer, as {@code GZIPInputStream} does. Bytes after the last member that do not start
 * another one end the stream without an error, also as {@code GZIPInputStream} does (they are still part of the
 * blob and its digest: the caller drains them).
 *
 * <p>Only the first fields of {@code struct inflate_state} are touched (next_out, avail_out, next_in, avail_in,
 * read_in_length): their offsets have not moved in ISA-L 2.x, and the size of the struct is part of the ABI of
 * {@code libisal.so.2} (callers allocate it), so {@link #STATE_BYTES} with a wide margin is safe. The end of a
 * member's deflate data is recognized without reading {@code block_state} (whose offset depends on table sizes):
 * ISA-L returns with input and output space both left only once the final block is done (checked in
 * IsalGzipInputStreamTest against every way of cutting the input).
 */
final class IsalGzipInputStream extends BulkInputStream {
    /** {@code sizeof(struct inflate_state)} is 87,368 bytes in ISA-L 2.30; the buffer leaves room to spare. */
    static final int STATE_BYTES = 256 * 1024;
    private static final int IN_BYTES = 128 * 1024;
    private static final int OUT_BYTES = 256 * 1024;
    // offsets in struct inflate_state (x86_64 and aarch64 alike: 64-bit pointers)
    private static final int NEXT_OUT = 0;
    private static final int AVAIL_OUT = 8;
    private static final int NEXT_IN = 16;
    private static final int AVAIL_IN = 32;
    private static final int READ_IN_LENGTH = 36;

    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    private static final byte[] ZEROS = new byte[64];

    /**
     * The ISA-L functions used. Public only because jnr-ffi generates its implementation in another class loader;
     * the enclosing class is package-private.
     */
    public interface Lib {
        void isal_inflate_init(Pointer state);

        int isal_inflate(Pointer state);

        /** The gzip CRC-32 of {@code len} bytes at {@code buf}, continuing from {@code crc}. */
        int crc32_gzip_refl(int crc, Pointer buf, long len);
    }

    /** Loaded on first use; null when ISA-L is missing or turned off. */
    private static final class Holder {
        static final Lib LIB = load();
        static final Runtime RUNTIME = LIB == null ? null : Runtime.getRuntime(LIB);

        private static Lib load() {
            if ("false".equalsIgnoreCase(System.getProperty("strata.gzip.isal"))) {
                return null;
            }
            try {
                return LibraryLoader.create(Lib.class).failImmediately().load("libisal.so.2");
            } catch (LinkageError | RuntimeException e) {
                return null; // not installed (or not this platform): the JDK's zlib does the work
            }
        }
    }

    /** Whether ISA-L is there to decode gzip ({@code -Dstrata.gzip.isal=false} says no). */
    static boolean loaded() {
        return Holder.LIB != null;
    }

    private final InputStream in;
    private final Lib lib = Holder.LIB;
    private final ByteBuffer stateBuf = direct(STATE_BYTES);
    private final ByteBuffer inBuf = direct(IN_BYTES);
    private final ByteBuffer outBuf = direct(OUT_BYTES);
    private final Pointer state = Pointer.wrap(Holder.RUNTIME, stateBuf);
    private final Pointer inPtr = Pointer.wrap(Holder.RUNTIME, inBuf);
    private final Pointer outPtr = Pointer.wrap(Holder.RUNTIME, outBuf);
    private final long inAddress = inPtr.address();
    private final long outAddress = outPtr.address();

    /** The input chunk now in {@code inBuf}, as Java bytes too: headers and trailers are parsed from here. */
    private final byte[] chunk = new byte[IN_BYTES];
    private int chunkLength;
    /** The next chunk byte that neither the header parser nor ISA-L has taken. */
    private int cursor;
    private boolean inputEnded;
    /** The last (up to 8) bytes before the current chunk: ISA-L may still hold some of them when a member ends. */
    private final byte[] history = new byte[8];
    private int historyLength;
    /** Those of them handed back at the end of a member: the first bytes of its trailer. */
    private final byte[] carry = new byte[8];
    private int carryPos;
    private int carryLength;

    private boolean inMember;
    private boolean eof;
    private boolean firstMember = true;
    private int crc;
    private long memberSize;

    IsalGzipInputStream(InputStream in) throws IOException {
        if (lib == null) {
            throw new IllegalStateException("ISA-L is not available");
        }
        this.in = in;
        if (!readHeader()) {
            throw new EOFException("empty gzip stream");
        }
    }

    private static ByteBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if ((off | len) < 0 || len > b.length - off) {
            throw new IndexOutOfBoundsException();
        }
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            if (!inMember) {
                if (!readHeader()) {
                    eof = true;
                    break;
                }
                continue;
            }
            int want = Math.min(len, OUT_BYTES);
            stateBuf.putLong(NEXT_OUT, outAddress);
            stateBuf.putInt(AVAIL_OUT, want);
            if (stateBuf.getInt(AVAIL_IN) == 0 && !inputEnded) {
                cursor = chunkLength;
                if (nextChunk()) {
                    stateBuf.putLong(NEXT_IN, inAddress);
                    stateBuf.putInt(AVAIL_IN, chunkLength);
                }
            }
            int availInBefore = stateBuf.getInt(AVAIL_IN);
            int r = lib.isal_inflate(state);
            if (r < 0) {
                throw new ZipException("invalid deflate data in gzip stream (ISA-L error " + r + ")");
            }
            int availIn = stateBuf.getInt(AVAIL_IN);
            int produced = want - stateBuf.getInt(AVAIL_OUT);
            if (produced > 0) {
                crc = lib.crc32_gzip_refl(crc, outPtr, produced);
                memberSize += produced;
                outBuf.get(0, b, off, produced);
                return produced;
            }
            if (availIn > 0) {
                endOfMember(availIn);
            } else if (availInBefore == 0 && inputEnded) {
                throw new EOFException("gzip stream ends before its deflate data does (truncated)");
            }
        }
        return -1;
    }

    /** Reads the next chunk of input into {@code chunk} and {@code inBuf}; false at the end of the input. */
    private boolean nextChunk() throws IOException {
        // keep the last 8 bytes of what came before the new chunk
        int fromChunk = Math.min(8, chunkLength);
        int fromHistory = Math.min(historyLength, 8 - fromChunk);
        System.arraycopy(history, historyLength - fromHistory, history, 0, fromHistory);
        System.arraycopy(chunk, chunkLength - fromChunk, history, fromHistory, fromChunk);
        historyLength = fromHistory + fromChunk;
        int n;
        do {
            n = in.read(chunk, 0, IN_BYTES);
        } while (n == 0);
        cursor = 0;
        if (n < 0) {
            chunkLength = 0;
            inputEnded = true;
            return false;
        }
        chunkLength = n;
        inBuf.put(0, chunk, 0, n);
        return true;
    }

    /**
     * The member's deflate data ended: what ISA-L did not use (left in the chunk, plus whole bytes still in its bit
     * buffer — which ISA-L 2.32 and later hand back themselves by moving next_in back) starts the trailer. Checks
     * CRC-32 and length. Nothing is copied: the parser goes on from the chunk where ISA-L stopped.
     */
    private void endOfMember(int availIn) throws IOException {
        int held = stateBuf.getInt(READ_IN_LENGTH) >>> 3;
        int start = chunkLength - availIn - held;
        carryPos = 0;
        carryLength = 0;
        if (start < 0) { // some of those bytes came before this chunk
            int need = -start;
            if (need > historyLength) {
                throw new ZipException("gzip stream: the deflate decoder holds more input than it was given");
            }
            System.arraycopy(history, historyLength - need, carry, 0, need);
            carryLength = need;
            start = 0;
        }
        cursor = start;
        stateBuf.putInt(AVAIL_IN, 0);

        byte[] trailer = new byte[8];
        if (!readFully(trailer)) {
            throw new EOFException("gzip stream ends inside a member trailer (truncated)");
        }
        int expectedCrc = le32(trailer, 0);
        long expectedSize = le32(trailer, 4) & 0xffffffffL;
        if (expectedCrc != crc) {
            throw new ZipException("gzip member CRC-32 mismatch: trailer says " + Integer.toHexString(expectedCrc)
                    + ", data has " + Integer.toHexString(crc));
        }
        if (expectedSize != (memberSize & 0xffffffffL)) {
            throw new ZipException("gzip member length mismatch: trailer says " + expectedSize + " (mod 2^32), data has "
                    + memberSize);
        }
        inMember = false;
    }

    /**
     * Reads a member header and starts ISA-L on the member's deflate data. The first member must be there and well
     * formed; after a member, anything but a well-formed header (or nothing) ends the stream, as
     * {@code GZIPInputStream} has it.
     *
     * @return false when no further member follows
     */
    private boolean readHeader() throws IOException {
        boolean first = firstMember;
        firstMember = false;
        try {
            if (!parseHeader(first)) {
                return false;
            }
        } catch (ZipException | EOFException e) {
            if (first) {
                throw e;
            }
            return false;
        }
        if (carryPos < carryLength) {
            throw new IllegalStateException("a gzip header shorter than a trailer");
        }
        stateBuf.put(0, ZEROS); // the fields read below start from zero for each member
        lib.isal_inflate_init(state);
        stateBuf.putLong(NEXT_IN, inAddress + cursor);
        stateBuf.putInt(AVAIL_IN, chunkLength - cursor);
        crc = 0;
        memberSize = 0;
        inMember = true;
        return true;
    }

    private boolean parseHeader(boolean first) throws IOException {
        int id1 = readByte();
        if (id1 < 0) {
            return false;
        }
        int id2 = readByte();
        if (id1 != 0x1f || id2 != 0x8b) {
            if (first) {
                throw new ZipException("not in gzip format");
            }
            return false; // trailing bytes that are not another member: the end, as GZIPInputStream has it
        }
        java.util.zip.CRC32 headerCrc = new java.util.zip.CRC32();
        headerCrc.update(0x1f);
        headerCrc.update(0x8b);
        byte[] fixed = new byte[8];
        if (!readFully(fixed)) {
            throw new EOFException("gzip header cut short");
        }
        headerCrc.update(fixed);
        if ((fixed[0] & 0xff) != 8) {
            throw new ZipException("unsupported gzip compression method " + (fixed[0] & 0xff));
        }
        int flags = fixed[1] & 0xff;
        if ((flags & FEXTRA) != 0) {
            byte[] xlen = new byte[2];
            if (!readFully(xlen)) {
                throw new EOFException("gzip header cut short");
            }
            headerCrc.update(xlen);
            int n = (xlen[0] & 0xff) | (xlen[1] & 0xff) << 8;
            byte[] extra = new byte[n];
            if (!readFully(extra)) {
                throw new EOFException("gzip header cut short");
            }
            headerCrc.update(extra);
        }
        for (int flag : new int[] {FNAME, FCOMMENT}) {
            if ((flags & flag) != 0) {
                int c;
                do {
                    c = readByte();
                    if (c < 0) {
                        throw new EOFException("gzip header cut short");
                    }
                    headerCrc.update(c);
                } while (c != 0);
            }
        }
        if ((flags & FHCRC) != 0) {
            int lo = readByte();
            int hi = readByte();
            if (hi < 0) {
                throw new EOFException("gzip header cut short");
            }
            if ((lo | hi << 8) != ((int) headerCrc.getValue() & 0xffff)) {
                throw new ZipException("corrupt gzip header (header CRC mismatch)");
            }
        }
        return true;
    }

    private int readByte() throws IOException {
        if (carryPos < carryLength) {
            return carry[carryPos++] & 0xff;
        }
        if (cursor == chunkLength && (inputEnded || !nextChunk())) {
            return -1;
        }
        return chunk[cursor++] & 0xff;
    }

    private boolean readFully(byte[] b) throws IOException {
        int n = 0;
        while (n < b.length && carryPos < carryLength) {
            b[n++] = carry[carryPos++];
        }
        while (n < b.length) {
            if (cursor == chunkLength && (inputEnded || !nextChunk())) {
                return false;
            }
            int k = Math.min(b.length - n, chunkLength - cursor);
            System.arraycopy(chunk, cursor, b, n, k);
            cursor += k;
            n += k;
        }
        return true;
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    @Override
    public void close() throws IOException {
        eof = true;
        in.close();
    }
}
