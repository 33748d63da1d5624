package dev.strata.image.layer;

import dev.strata.image.fs.FileNames;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes POSIX (ustar + pax) tar streams the way image layers need them: pax records carry long or non-ASCII names
 * (their bytes exactly, {@code hdrcharset=BINARY} when they are not UTF-8), large ids and sizes, sub-second mtimes and
 * xattrs with their raw byte values. Counterpart of {@link TarReader};
 * commons-compress's writer would encode xattr values as UTF-8 strings and corrupt binary ones.
 */
final class TarWriter implements java.io.Closeable {
    private static final int BLOCK = 512;
    private static final long MAX_OCTAL_7 = 07777777L;
    private static final long MAX_OCTAL_11 = 077777777777L;

    private final OutputStream out;
    private final byte[] zeros = new byte[BLOCK];
    private long remaining;
    private long written;
    private boolean finished;

    TarWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * Writes the header(s) of {@code e}; for a regular file exactly {@code e.size()} bytes of data must follow
     * through {@link #write}. Sparse maps are not written: data is stored expanded.
     */
    void putEntry(TarEntry e) throws IOException {
        closeEntry();
        ByteArrayOutputStream pax = new ByteArrayOutputStream();
        byte[] name = FileNames.encode(e.name());
        byte[] link = FileNames.encode(e.linkName());
        if (!FileNames.isUtf8(name) || !FileNames.isUtf8(link)) {
            // The name's bytes go into the pax records as they are (as GNU tar and Go's archive/tar write them);
            // POSIX asks for this record so that readers do not take them for UTF-8 and convert them.
            record(pax, "hdrcharset", ascii("BINARY"));
        }
        if (name.length > 100 || !isAscii(name)) {
            record(pax, "path", name);
        }
        if (link.length > 100 || !isAscii(link)) {
            record(pax, "linkpath", link);
        }
        if (e.uid() > MAX_OCTAL_7) {
            record(pax, "uid", ascii(Long.toString(e.uid())));
        }
        if (e.gid() > MAX_OCTAL_7) {
            record(pax, "gid", ascii(Long.toString(e.gid())));
        }
        long size = e.type() == TarType.REGULAR ? e.size() : 0;
        if (size > MAX_OCTAL_11) {
            record(pax, "size", ascii(Long.toString(size)));
        }
        if (e.mtimeNanos() != 0 || e.mtimeSeconds() < 0 || e.mtimeSeconds() > MAX_OCTAL_11) {
            record(pax, "mtime", ascii(paxTime(e.mtimeSeconds(), e.mtimeNanos())));
        }
        if (e.devMajor() > MAX_OCTAL_7 || e.devMajor() < 0) {
            record(pax, "SCHILY.devmajor", ascii(Integer.toUnsignedString(e.devMajor())));
        }
        if (e.devMinor() > MAX_OCTAL_7 || e.devMinor() < 0) {
            record(pax, "SCHILY.devminor", ascii(Integer.toUnsignedString(e.devMinor())));
        }
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            record(pax, "SCHILY.xattr." + x.getKey(), x.getValue());
        }
        if (pax.size() > 0) {
            byte[] records = pax.toByteArray();
            byte[] h = header(paxName(), 'x', 0644, 0, 0, records.length, 0, new byte[0], 0, 0);
            out.write(h);
            out.write(records);
            pad(records.length);
            written += BLOCK + records.length + padding(records.length);
        }
        char flag = switch (e.type()) {
            case REGULAR -> '0';
            case HARDLINK -> '1';
            case SYMLINK -> '2';
            case CHAR_DEVICE -> '3';
            case BLOCK_DEVICE -> '4';
            case DIRECTORY -> '5';
            case FIFO -> '6';
        };
        out.write(header(headerName(name), flag, e.mode(), Math.min(e.uid(), MAX_OCTAL_7),
                Math.min(e.gid(), MAX_OCTAL_7), Math.min(size, MAX_OCTAL_11),
                Math.max(0, Math.min(e.mtimeSeconds(), MAX_OCTAL_11)), headerName(link),
                e.devMajor() < 0 ? 0 : Math.min(e.devMajor(), MAX_OCTAL_7),
                e.devMinor() < 0 ? 0 : Math.min(e.devMinor(), MAX_OCTAL_7)));
        written += BLOCK;
        remaining = size;
        pendingPad = padding(size);
    }

    private long pendingPad;

    void write(byte[] b, int off, int len) throws IOException {
        if (len > remaining) {
            throw new IOException("entry data exceeds its declared size by " + (len - remaining) + " bytes");
        }
        out.write(b, off, len);
        remaining -= len;
        written += len;
    }

    /** Bytes of tar written so far. */
    long written() {
        return written;
    }

    private void closeEntry() throws IOException {
        if (remaining != 0) {
            throw new IOException("entry data is " + remaining + " bytes short of its declared size");
        }
        if (pendingPad > 0) {
            out.write(zeros, 0, (int) pendingPad);
            written += pendingPad;
            pendingPad = 0;
        }
    }

    /** Ends the archive with two zero blocks. Does not close the underlying stream. */
    void finish() throws IOException {
        if (finished) {
            return;
        }
        closeEntry();
        out.write(zeros);
        out.write(zeros);
        written += 2 * BLOCK;
        finished = true;
    }

    @Override
    public void close() throws IOException {
        finish();
        out.close();
    }

    private void pad(long len) throws IOException {
        int p = (int) padding(len);
        if (p > 0) {
            out.write(zeros, 0, p);
        }
    }

    private static long padding(long len) {
        return (BLOCK - len % BLOCK) % BLOCK;
    }

    private static byte[] header(byte[] name, char type, int mode, long uid, long gid, long size, long mtime,
                                 byte[] link, long devMajor, long devMinor) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, 0, name.length);
        octal(h, 100, 8, mode & 07777);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = (byte) type;
        System.arraycopy(link, 0, h, 157, link.length);
        h[257] = 'u';
        h[258] = 's';
        h[259] = 't';
        h[260] = 'a';
        h[261] = 'r';
        h[262] = 0;
        h[263] = '0';
        h[264] = '0';
        if (type == '3' || type == '4') {
            octal(h, 329, 8, devMajor);
            octal(h, 337, 8, devMinor);
        }
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        return h;
    }

    private static void octal(byte[] h, int off, int len, long value) {
        // len-1 octal digits, zero padded, then NUL.
        for (int i = off + len - 2; i >= off; i--) {
            h[i] = (byte) ('0' + (value & 7));
            value >>>= 3;
        }
        h[off + len - 1] = 0;
    }

    private static void record(ByteArrayOutputStream pax, String key, byte[] value) {
        // "<len> <key>=<value>\n" where <len> counts its own digits too.
        byte[] k = FileNames.encode(key); // an xattr name, like a file name, is bytes
        int body = 1 + k.length + 1 + value.length + 1;
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() > Integer.toString(body).length()) {
            len++;
        }
        pax.writeBytes((len + " ").getBytes(StandardCharsets.US_ASCII));
        pax.writeBytes(k);
        pax.write('=');
        pax.writeBytes(value);
        pax.write('\n');
    }

    /** Readers ignore the name of a pax header; GNU tar's convention keeps it recognisable. */
    private static byte[] paxName() {
        return "PaxHeaders/entry".getBytes(StandardCharsets.US_ASCII);
    }

    private static String paxTime(long seconds, int nanos) {
        if (nanos == 0) {
            return Long.toString(seconds);
        }
        long s = seconds;
        long n = nanos;
        String sign = "";
        if (s < 0) {
            // -2 s + 0.5 s is -1.5 s
            sign = "-";
            s = -(s + 1);
            n = 1_000_000_000L - n;
        }
        String frac = String.format("%09d", n).replaceAll("0+$", "");
        return sign + s + "." + frac;
    }

    /** The ustar name field: the name itself when it fits, else an ASCII stand-in (the pax path is authoritative). */
    private static byte[] headerName(byte[] name) {
        if (name.length <= 100 && isAscii(name)) {
            return name;
        }
        byte[] b = truncate(name, 100);
        for (int i = 0; i < b.length; i++) {
            if (b[i] < 0x20) {
                b[i] = '_';
            }
        }
        return b;
    }

    private static byte[] truncate(byte[] b, int max) {
        return b.length <= max ? b : java.util.Arrays.copyOf(b, max);
    }

    private static boolean isAscii(byte[] b) {
        for (byte x : b) {
            if (x < 0x20 && x != 0 || x < 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
