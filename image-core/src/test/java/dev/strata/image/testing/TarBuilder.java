package dev.strata.image.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Writes tar archives byte by byte, including malformed and hostile ones that no well-behaved library would
 * produce. Every header field can be overridden; checksums are computed unless told otherwise.
 */
public final class TarBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    /** Overrides applied to the next header written, before its checksum. */
    private java.util.function.Consumer<byte[]> headerHook;

    /** A header under construction; {@link #add()} writes it (with pax records first, if any). */
    public final class Entry {
        private byte[] name;
        private char type = '0';
        private int mode = 0644;
        private long uid;
        private long gid;
        private long mtime = 1_700_000_000L;
        private String link = "";
        private int devMajor;
        private int devMinor;
        private byte[] data = new byte[0];
        private Long sizeOverride;
        private byte[] rawUid;
        private boolean badChecksum;
        private byte[] prefix;
        private final Map<Integer, byte[]> rawFields = new LinkedHashMap<>();
        private final Map<String, byte[]> pax = new LinkedHashMap<>();

        Entry(byte[] name) {
            this.name = name;
        }

        public Entry type(char t) { type = t; return this; }
        public Entry mode(int m) { mode = m; return this; }
        public Entry owner(long u, long g) { uid = u; gid = g; return this; }
        public Entry mtime(long m) { mtime = m; return this; }
        public Entry link(String l) { link = l; return this; }
        public Entry device(int major, int minor) { devMajor = major; devMinor = minor; return this; }
        public Entry data(byte[] d) { data = d; return this; }
        public Entry data(String d) { return data(d.getBytes(StandardCharsets.UTF_8)); }
        /** Declares a size different from the data actually written (truncation, lies). */
        public Entry declaredSize(long s) { sizeOverride = s; return this; }
        /** Raw 8-byte uid field, e.g. base-256 encodings. */
        public Entry rawUid(byte[] field) { rawUid = field; return this; }
        public Entry badChecksum() { badChecksum = true; return this; }
        /** The ustar prefix field (offset 345, 155 bytes), joined to the name with '/' by readers. */
        public Entry prefix(String p) { prefix = p.getBytes(StandardCharsets.UTF_8); return this; }
        /** Raw bytes over any header field at {@code offset} (e.g. base-256 size or gid), before the checksum. */
        public Entry rawField(int offset, byte[] bytes) { rawFields.put(offset, bytes); return this; }
        public Entry pax(String key, String value) { return pax(key, value.getBytes(StandardCharsets.UTF_8)); }
        public Entry pax(String key, byte[] value) { pax.put(key, value); return this; }

        public TarBuilder add() {
            if (!pax.isEmpty()) {
                ByteArrayOutputStream records = new ByteArrayOutputStream();
                for (Map.Entry<String, byte[]> e : pax.entrySet()) {
                    records.writeBytes(paxRecord(e.getKey(), e.getValue()));
                }
                writeHeader("PaxHeaders/x".getBytes(StandardCharsets.US_ASCII), 'x', 0644, 0, 0, 0, "", 0, 0,
                        records.size(), null, false);
                writeData(records.toByteArray());
            }
            long size = sizeOverride != null ? sizeOverride : data.length;
            headerHook = h -> {
                if (prefix != null) {
                    System.arraycopy(prefix, 0, h, 345, Math.min(prefix.length, 155));
                }
                rawFields.forEach((off, b) -> System.arraycopy(b, 0, h, off, b.length));
            };
            writeHeader(name, type, mode, uid, gid, mtime, link, devMajor, devMinor, size, rawUid, badChecksum);
            headerHook = null;
            writeData(data);
            return TarBuilder.this;
        }
    }

    public Entry entry(String name) {
        return new Entry(name.getBytes(StandardCharsets.UTF_8));
    }

    public Entry entry(byte[] rawName) {
        return new Entry(rawName);
    }

    public TarBuilder file(String name, String content) {
        return entry(name).data(content).add();
    }

    public TarBuilder dir(String name) {
        return entry(name).type('5').mode(0755).add();
    }

    public TarBuilder symlink(String name, String target) {
        return entry(name).type('2').mode(0777).link(target).add();
    }

    public TarBuilder hardlink(String name, String target) {
        return entry(name).type('1').link(target).add();
    }

    /** A GNU long-name record ('L') applying to the next header. */
    public TarBuilder gnuLongName(String longName) {
        byte[] b = (longName + "\0").getBytes(StandardCharsets.UTF_8);
        writeHeader("././@LongLink".getBytes(StandardCharsets.US_ASCII), 'L', 0644, 0, 0, 0, "", 0, 0, b.length,
                null, false);
        writeData(b);
        return this;
    }

    /** Raw bytes appended as they are (e.g. a header block for a hand-built case). */
    public TarBuilder raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** The two zero blocks that end an archive. */
    public TarBuilder end() {
        out.writeBytes(new byte[1024]);
        return this;
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    public byte[] gzip() {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (OutputStream z = new GZIPOutputStream(b)) {
                z.write(bytes());
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] paxRecord(String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int body = 1 + k.length + 1 + value.length + 1; // " key=value\n"
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() != Integer.toString(body).length()) {
            len++;
        }
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        r.writeBytes((len + " ").getBytes(StandardCharsets.US_ASCII));
        r.writeBytes(k);
        r.write('=');
        r.writeBytes(value);
        r.write('\n');
        return r.toByteArray();
    }

    private void writeHeader(byte[] name, char type, int mode, long uid, long gid, long mtime, String link,
                             int devMajor, int devMinor, long size, byte[] rawUid, boolean badChecksum) {
        byte[] h = new byte[512];
        System.arraycopy(name, 0, h, 0, Math.min(name.length, 100));
        octal(h, 100, 8, mode);
        if (rawUid != null) {
            System.arraycopy(rawUid, 0, h, 108, 8);
        } else {
            octal(h, 108, 8, uid);
        }
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = (byte) type;
        byte[] l = link.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(l, 0, h, 157, Math.min(l.length, 100));
        System.arraycopy("ustar\0".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 6);
        h[263] = '0';
        h[264] = '0';
        octal(h, 329, 8, devMajor);
        octal(h, 337, 8, devMinor);
        if (headerHook != null) {
            headerHook.accept(h);
        }
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, badChecksum ? sum + 1 : sum);
        out.writeBytes(h);
    }

    private void writeData(byte[] data) {
        out.writeBytes(data);
        int pad = (512 - data.length % 512) % 512;
        out.writeBytes(new byte[pad]);
    }

    private static void octal(byte[] h, int off, int len, long value) {
        String s = Long.toOctalString(value);
        if (s.length() > len - 1) {
            throw new IllegalArgumentException("value " + value + " does not fit " + len + " octal bytes");
        }
        s = "0".repeat(len - 1 - s.length()) + s;
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
        h[off + len - 1] = 0;
    }
}
