package dev.strata.image.layer;

import dev.strata.image.UnsafeLayerException;
import dev.strata.image.fs.FileNames;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, streaming reader of the tar dialects found in image layers: ustar, POSIX pax (incl. global headers),
 * GNU long names/links and the three GNU sparse encodings (old GNU, pax 0.0/0.1, pax 1.0).
 *
 * <p>Written here rather than taken from commons-compress because a layer reader needs three things that library
 * does not give: PAX values as raw bytes (binary xattrs such as {@code security.capability}), hard bounds on every
 * header before it is buffered, and errors instead of lenient guesses on malformed numbers. Every malformed input is
 * an {@link UnsafeLayerException} naming the entry; the end-of-archive marker ends reading (anything after it is
 * left for the caller to drain, never extracted).
 */
final class TarReader {
    private static final int BLOCK = 512;
    // (uid_t) -1 is reserved: chown(2) reads it as "leave unchanged".
    private static final long MAX_ID = 0xFFFF_FFFEL;

    private final InputStream in;
    private final TarLimits limits;
    private final byte[] header = new byte[BLOCK];
    private final Map<String, byte[]> globalPax = new HashMap<>();
    private long remaining;
    private long padding;
    private long entryCount;
    private String currentName = "";
    private boolean finished;

    TarReader(InputStream in, TarLimits limits) {
        this.in = in;
        this.limits = limits;
    }

    /** Number of entries returned so far. */
    long entryCount() {
        return entryCount;
    }

    /** The next entry, or null at the end-of-archive marker (or a clean EOF at a block boundary). */
    TarEntry next() throws IOException {
        if (finished) {
            return null;
        }
        skipRest();
        currentName = "";
        Map<String, byte[]> pax = new LinkedHashMap<>();
        List<long[]> paxSparsePairs = new ArrayList<>();
        byte[] longName = null;
        byte[] longLink = null;
        while (true) {
            if (!readBlock(header, true)) {
                finished = true;
                if (!pax.isEmpty() || longName != null || longLink != null) {
                    throw unsafe("archive ends after an extended header with no entry");
                }
                return null;
            }
            if (isZero(header)) {
                // End of archive is two zero blocks; a lone zero block followed by data is corrupt.
                byte[] second = new byte[BLOCK];
                if (readBlock(second, true) && !isZero(second)) {
                    throw unsafe("zero block inside the archive");
                }
                finished = true;
                return null;
            }
            verifyChecksum();
            char typeFlag = (char) (header[156] & 0xff);
            long size = number(124, 12, "size");
            if (size < 0) {
                throw unsafe("negative size");
            }
            switch (typeFlag) {
                case 'x':
                    parsePax(readSpecial(size, "pax header"), pax, paxSparsePairs);
                    continue;
                case 'g':
                    parsePax(readSpecial(size, "global pax header"), globalPax, new ArrayList<>());
                    continue;
                case 'L':
                    longName = trimNul(readSpecial(size, "GNU long name"));
                    checkNameLength(longName.length);
                    continue;
                case 'K':
                    longLink = trimNul(readSpecial(size, "GNU long link"));
                    checkNameLength(longLink.length);
                    continue;
                case 'V':
                    // A volume label describes the archive, not a file.
                    remaining = size;
                    padding = pad(size);
                    skipRest();
                    continue;
                default:
                    TarEntry e = buildEntry(typeFlag, size, pax, paxSparsePairs, longName, longLink);
                    entryCount++;
                    return e;
            }
        }
    }

    /**
     * The data of the entry last returned by {@link #next()}: {@code size} bytes (the packed data segments for a
     * sparse file). Reading past them returns EOF; a truncated archive throws.
     */
    InputStream content() {
        return new BulkInputStream() {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw truncated();
                }
                remaining -= n;
                return n;
            }

            @Override
            public int available() throws IOException {
                return (int) Math.min(in.available(), remaining);
            }
        };
    }

    private TarEntry buildEntry(char typeFlag, long headerSize, Map<String, byte[]> localPax,
                                List<long[]> paxSparsePairs, byte[] longName, byte[] longLink) throws IOException {
        // Most entries of most layers have no PAX records at all: no map to build or search for them.
        Map<String, byte[]> pax = globalPax.isEmpty() && localPax.isEmpty() ? Map.of() : mergedPax(localPax);

        boolean posixUstar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                && header[261] == 'r' && header[262] == 0;
        String name;
        if (pax.containsKey("GNU.sparse.name")) {
            name = FileNames.decode(pax.get("GNU.sparse.name"));
        } else if (pax.containsKey("path")) {
            name = FileNames.decode(pax.get("path"));
        } else if (longName != null) {
            name = FileNames.decode(longName);
        } else {
            String base = FileNames.decode(field(0, 100));
            byte[] prefix = posixUstar ? field(345, 155) : new byte[0];
            name = prefix.length > 0 ? FileNames.decode(prefix) + "/" + base : base;
        }
        currentName = name;
        checkNameLength(name.length());
        if (name.isEmpty()) {
            throw unsafe("empty entry name");
        }
        String link = FileNames.decode(pax.containsKey("linkpath") ? pax.get("linkpath")
                : longLink != null ? longLink : field(157, 100));
        checkNameLength(link.length());

        int mode = (int) (number(100, 8, "mode") & 07777);
        long uid = pax.containsKey("uid") ? paxLong(pax.get("uid"), "uid") : number(108, 8, "uid");
        long gid = pax.containsKey("gid") ? paxLong(pax.get("gid"), "gid") : number(116, 8, "gid");
        if (uid < 0 || uid > MAX_ID || gid < 0 || gid > MAX_ID) {
            throw unsafe("uid/gid out of range (" + uid + ":" + gid + "): must be 0.." + MAX_ID);
        }
        long size = pax.containsKey("size") ? paxLong(pax.get("size"), "size") : headerSize;
        if (size < 0) {
            throw unsafe("negative size");
        }
        long[] mtime = pax.containsKey("mtime") ? paxTime(pax.get("mtime"), "mtime")
                : new long[] {checkTime(number(136, 12, "mtime"), "mtime"), 0};
        long[] atime = pax.containsKey("atime") ? paxTime(pax.get("atime"), "atime") : null;
        long devMajor = pax.containsKey("SCHILY.devmajor") ? paxLong(pax.get("SCHILY.devmajor"), "devmajor")
                : number(329, 8, "devmajor");
        long devMinor = pax.containsKey("SCHILY.devminor") ? paxLong(pax.get("SCHILY.devminor"), "devminor")
                : number(337, 8, "devminor");
        if (devMajor < 0 || devMajor > MAX_ID || devMinor < 0 || devMinor > MAX_ID) {
            throw unsafe("device number out of range");
        }

        TarType type = typeOf(typeFlag, name);
        Map<String, byte[]> xattrs = pax.isEmpty() ? Map.of() : xattrsOf(pax);

        remaining = size;
        padding = pad(size);
        List<TarEntry.SparseSegment> sparse = List.of();
        long realSize = size;
        if (type == TarType.REGULAR) {
            if (typeFlag == 'S' || pax.containsKey("GNU.sparse.major") || pax.containsKey("GNU.sparse.map")
                    || !paxSparsePairs.isEmpty()) {
                long[] rs = new long[1];
                sparse = typeFlag == 'S' ? oldGnuSparse(rs) : paxSparse(pax, paxSparsePairs, rs);
                realSize = rs[0];
                validateSparse(sparse, realSize);
            }
        } else {
            skipRest();
        }
        return new TarEntry(name, type, mode, uid, gid, type == TarType.REGULAR ? remaining : 0, realSize,
                mtime[0], (int) mtime[1], atime == null ? 0 : atime[0], atime == null ? 0 : (int) atime[1],
                atime != null, link, (int) devMajor, (int) devMinor, xattrs, sparse);
    }

    /** The global PAX records overridden by this entry's; an empty value deletes a global setting. */
    private Map<String, byte[]> mergedPax(Map<String, byte[]> localPax) {
        Map<String, byte[]> pax = new HashMap<>(globalPax);
        pax.putAll(localPax);
        pax.values().removeIf(v -> v.length == 0);
        return pax;
    }

    private TarType typeOf(char typeFlag, String name) {
        return switch (typeFlag) {
            case '0', '\0', '7', 'S' -> name.endsWith("/") && typeFlag == '\0' ? TarType.DIRECTORY : TarType.REGULAR;
            case '1' -> TarType.HARDLINK;
            case '2' -> TarType.SYMLINK;
            case '3' -> TarType.CHAR_DEVICE;
            case '4' -> TarType.BLOCK_DEVICE;
            case '5', 'D' -> TarType.DIRECTORY;
            case '6' -> TarType.FIFO;
            default -> throw unsafe("unsupported tar entry type '" + printable(typeFlag) + "'");
        };
    }

    /** Extended attributes from SCHILY.xattr.* (raw bytes) and LIBARCHIVE.xattr.* (URL-encoded name, base64). */
    private Map<String, byte[]> xattrsOf(Map<String, byte[]> pax) {
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : pax.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("SCHILY.xattr.")) {
                xattrs.put(k.substring("SCHILY.xattr.".length()), e.getValue());
            } else if (k.startsWith("LIBARCHIVE.xattr.")) {
                String xname;
                try {
                    xname = java.net.URLDecoder.decode(k.substring("LIBARCHIVE.xattr.".length()),
                            StandardCharsets.UTF_8);
                } catch (IllegalArgumentException bad) {
                    throw unsafe("invalid %-escape in pax keyword " + abbreviate(k));
                }
                try {
                    xattrs.putIfAbsent(xname, Base64.getDecoder().decode(e.getValue()));
                } catch (IllegalArgumentException bad) {
                    throw unsafe("invalid base64 in " + k);
                }
            }
        }
        xattrs.remove("");
        return xattrs;
    }

    // ---- sparse -------------------------------------------------------------------------------------------------

    private List<TarEntry.SparseSegment> oldGnuSparse(long[] realSize) throws IOException {
        List<TarEntry.SparseSegment> out = new ArrayList<>();
        readSparseEntries(header, 386, 4, out);
        realSize[0] = number(483, 12, "realsize");
        boolean extended = header[482] != 0;
        byte[] ext = new byte[BLOCK];
        while (extended) {
            readBlock(ext, false);
            readSparseEntries(ext, 0, 21, out);
            extended = ext[504] != 0;
        }
        return out;
    }

    private void readSparseEntries(byte[] block, int off, int count, List<TarEntry.SparseSegment> out) {
        for (int i = 0; i < count; i++) {
            int at = off + i * 24;
            if (block[at] == 0 && block[at + 12] == 0) {
                return;
            }
            if (out.size() >= limits.maxSparseSegments()) {
                throw unsafe("too many sparse segments (limit " + limits.maxSparseSegments() + ")");
            }
            out.add(new TarEntry.SparseSegment(numberIn(block, at, 12, "sparse offset"),
                    numberIn(block, at + 12, 12, "sparse length")));
        }
    }

    private List<TarEntry.SparseSegment> paxSparse(Map<String, byte[]> pax, List<long[]> pairs, long[] realSize)
            throws IOException {
        List<TarEntry.SparseSegment> out = new ArrayList<>();
        String major = pax.containsKey("GNU.sparse.major") ? ascii(pax.get("GNU.sparse.major")) : "0";
        if (major.equals("1")) {
            realSize[0] = paxLong(require(pax, "GNU.sparse.realsize"), "GNU.sparse.realsize");
            // Version 1.0 keeps the map at the start of the data, as decimal lines padded to a block.
            long consumed = 0;
            long[] count = new long[1];
            consumed += readDecimalLine(count);
            if (count[0] < 0 || count[0] > limits.maxSparseSegments()) {
                throw unsafe("too many sparse segments (limit " + limits.maxSparseSegments() + ")");
            }
            for (long i = 0; i < count[0]; i++) {
                long[] offset = new long[1];
                long[] length = new long[1];
                consumed += readDecimalLine(offset);
                consumed += readDecimalLine(length);
                out.add(new TarEntry.SparseSegment(offset[0], length[0]));
            }
            long skip = pad(consumed);
            byte[] junk = new byte[(int) skip];
            readData(junk, junk.length);
        } else {
            realSize[0] = paxLong(pax.containsKey("GNU.sparse.size") ? pax.get("GNU.sparse.size")
                    : require(pax, "GNU.sparse.realsize"), "GNU.sparse.size");
            if (pax.containsKey("GNU.sparse.map")) {
                String[] parts = ascii(pax.get("GNU.sparse.map")).split(",", -1);
                if (parts.length % 2 != 0 || parts.length / 2 > limits.maxSparseSegments()) {
                    throw unsafe("malformed GNU.sparse.map");
                }
                for (int i = 0; i < parts.length; i += 2) {
                    out.add(new TarEntry.SparseSegment(decimal(parts[i], "sparse offset"),
                            decimal(parts[i + 1], "sparse length")));
                }
            } else {
                for (long[] p : pairs) {
                    out.add(new TarEntry.SparseSegment(p[0], p[1]));
                }
            }
        }
        return out;
    }

    private long readDecimalLine(long[] value) throws IOException {
        StringBuilder sb = new StringBuilder();
        long read = 0;
        while (true) {
            byte[] one = new byte[1];
            readData(one, 1);
            read++;
            if (one[0] == '\n') {
                break;
            }
            if (sb.length() > 20) {
                throw unsafe("malformed sparse map");
            }
            sb.append((char) one[0]);
        }
        value[0] = decimal(sb.toString(), "sparse map");
        return read;
    }

    private void validateSparse(List<TarEntry.SparseSegment> segments, long realSize) {
        if (segments.isEmpty()) {
            return;
        }
        if (realSize < 0) {
            throw unsafe("negative sparse file size");
        }
        long end = 0;
        long stored = 0;
        for (TarEntry.SparseSegment s : segments) {
            if (s.offset() < end || s.length() < 0 || s.offset() > realSize - s.length()) {
                throw unsafe("sparse segments overlap, are unordered or exceed the file size");
            }
            end = s.offset() + s.length();
            stored += s.length();
        }
        if (stored != remaining) {
            throw unsafe("sparse map declares " + stored + " data bytes but the entry stores " + remaining);
        }
    }

    // ---- pax ----------------------------------------------------------------------------------------------------

    private void parsePax(byte[] data, Map<String, byte[]> into, List<long[]> sparsePairs) {
        int pos = 0;
        long pendingOffset = -1;
        while (pos < data.length) {
            if (data[pos] == 0) {
                break; // some writers pad the record block with NULs
            }
            int space = pos;
            while (space < data.length && data[space] != ' ') {
                if (data[space] < '0' || data[space] > '9' || space - pos >= 9) {
                    throw unsafe("malformed pax record length: '" + abbreviate(ascii(
                            java.util.Arrays.copyOfRange(data, pos, Math.min(data.length, pos + 24)))) + "…'");
                }
                space++;
            }
            if (space == pos || space >= data.length) {
                throw unsafe("malformed pax record");
            }
            // At most 9 digits, so the length fits an int; a length past the header's end is refused below.
            int length = (int) decimal(new String(data, pos, space - pos, StandardCharsets.US_ASCII),
                    "pax record length");
            int end = pos + length;
            if (length <= space - pos + 1 || length > data.length - pos || data[end - 1] != '\n') {
                throw unsafe("malformed pax record (length " + length + ")");
            }
            int eq = space + 1;
            while (eq < end - 1 && data[eq] != '=') {
                eq++;
            }
            if (eq >= end - 1 || eq == space + 1) {
                throw unsafe("pax record without keyword=value");
            }
            String key = FileNames.decode(java.util.Arrays.copyOfRange(data, space + 1, eq));
            byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, end - 1);
            // GNU sparse 0.0 repeats these two keywords once per segment, in order.
            if (key.equals("GNU.sparse.offset")) {
                pendingOffset = decimal(ascii(value), "GNU.sparse.offset");
            } else if (key.equals("GNU.sparse.numbytes")) {
                if (pendingOffset < 0 || sparsePairs.size() >= limits.maxSparseSegments()) {
                    throw unsafe("malformed GNU sparse 0.0 map");
                }
                sparsePairs.add(new long[] {pendingOffset, decimal(ascii(value), "GNU.sparse.numbytes")});
                pendingOffset = -1;
            } else {
                into.put(key, value);
            }
            pos = end;
        }
    }

    private long paxLong(byte[] v, String what) {
        return decimal(ascii(v), what);
    }

    /** Seconds and nanoseconds from a pax time such as {@code 1700000000.123456789} or {@code -1.5}. */
    private long[] paxTime(byte[] v, String what) {
        String s = ascii(v);
        boolean negative = s.startsWith("-");
        String body = negative ? s.substring(1) : s;
        int dot = body.indexOf('.');
        String secPart = dot < 0 ? body : body.substring(0, dot);
        String fracPart = dot < 0 ? "" : body.substring(dot + 1);
        if (secPart.isEmpty() || !fracPart.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw unsafe("malformed pax " + what + " '" + s + "'");
        }
        long sec = decimal(secPart, what);
        String frac9 = (fracPart + "000000000").substring(0, 9);
        long nanos = decimal(frac9, what + " nanoseconds");
        if (negative) {
            // -1.5 means 1.5 s before the epoch: seconds -2, nanos 500000000.
            sec = -sec;
            if (nanos > 0) {
                sec -= 1;
                nanos = 1_000_000_000L - nanos;
            }
        }
        return new long[] {checkTime(sec, what), nanos};
    }

    /** A non-negative decimal that fits a long; anything else (sign, space, 2^63 and more) names the field. */
    private long decimal(String s, String what) {
        if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw unsafe("malformed number for " + what + ": '" + abbreviate(s) + "'");
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            int d = s.charAt(i) - '0';
            if (v > (Long.MAX_VALUE - d) / 10) {
                throw unsafe("number for " + what + " out of range: '" + s + "'");
            }
            v = v * 10 + d;
        }
        return v;
    }

    /** Seconds since the epoch that a file time can hold ({@link java.time.Instant}'s range, ±10^9 years). */
    private long checkTime(long seconds, String what) {
        if (seconds < java.time.Instant.MIN.getEpochSecond() || seconds > java.time.Instant.MAX.getEpochSecond()) {
            throw unsafe(what + " " + seconds + " s is out of range");
        }
        return seconds;
    }

    private byte[] require(Map<String, byte[]> pax, String key) {
        byte[] v = pax.get(key);
        if (v == null) {
            throw unsafe("pax header lacks " + key);
        }
        return v;
    }

    // ---- header fields ------------------------------------------------------------------------------------------

    private void verifyChecksum() {
        long stored;
        try {
            stored = number(148, 8, "checksum");
        } catch (UnsafeLayerException e) {
            stored = -1; // reported below as what it most likely is
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += (i >= 148 && i < 156) ? ' ' : header[i];
        }
        if (stored != unsigned && stored != signed) {
            throw unsafe(entryCount == 0 ? "not a tar archive (bad header checksum at the start of the layer)"
                    : "bad tar header checksum (corrupted archive)");
        }
    }

    private long number(int off, int len, String what) {
        return numberIn(header, off, len, what);
    }

    /** Octal (space/NUL padded) or GNU base-256 numeric field. */
    private long numberIn(byte[] b, int off, int len, String what) {
        if ((b[off] & 0x80) != 0) {
            // Base-256 is two's complement with bit 0x80 of the first byte as the marker, so bit 0x40 is the sign:
            // 0xff.. and also 0xc0..0xfe lead bytes are negative (masking with 0x3f alone read them as positive).
            if ((b[off] & 0x40) != 0) {
                throw unsafe("negative " + what);
            }
            long v = b[off] & 0x3f;
            for (int i = 1; i < len; i++) {
                if ((v >>> 55) != 0) {
                    throw unsafe(what + " overflows 63 bits");
                }
                v = (v << 8) | (b[off + i] & 0xff);
            }
            return v;
        }
        int i = off;
        int end = off + len;
        while (i < end && (b[i] == ' ' || b[i] == 0)) {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < end && b[i] >= '0' && b[i] <= '7') {
            if (++digits > 21) {
                throw unsafe(what + " field too long");
            }
            v = (v << 3) | (b[i] - '0');
            i++;
        }
        while (i < end) {
            if (b[i] != ' ' && b[i] != 0) {
                throw unsafe("malformed " + what + " field");
            }
            i++;
        }
        return v;
    }

    private byte[] field(int off, int len) {
        int end = off;
        while (end < off + len && header[end] != 0) {
            end++;
        }
        return java.util.Arrays.copyOfRange(header, off, end);
    }

    private void checkNameLength(int length) {
        if (length > limits.maxNameLength()) {
            throw unsafe("name longer than " + limits.maxNameLength() + " bytes");
        }
    }

    private static String ascii(byte[] v) {
        return new String(v, StandardCharsets.US_ASCII);
    }

    // ---- block I/O ----------------------------------------------------------------------------------------------

    private byte[] readSpecial(long size, String what) throws IOException {
        if (size > limits.maxHeaderSize()) {
            throw unsafe(what + " of " + size + " bytes exceeds the limit of " + limits.maxHeaderSize());
        }
        byte[] data = new byte[(int) size];
        remaining = size;
        padding = pad(size);
        readData(data, data.length);
        skipRest();
        return data;
    }

    private void readData(byte[] into, int len) throws IOException {
        if (len > remaining) {
            throw unsafe("entry data shorter than its headers declare");
        }
        int done = 0;
        while (done < len) {
            int n = in.read(into, done, len - done);
            if (n < 0) {
                throw truncated();
            }
            done += n;
        }
        remaining -= len;
    }

    /** Reads one block; returns false on a clean EOF at its start when {@code eofOk}. */
    private boolean readBlock(byte[] into, boolean eofOk) throws IOException {
        int done = 0;
        while (done < BLOCK) {
            int n = in.read(into, done, BLOCK - done);
            if (n < 0) {
                if (done == 0 && eofOk) {
                    return false;
                }
                throw truncated();
            }
            done += n;
        }
        return true;
    }

    private void skipRest() throws IOException {
        long toSkip = remaining + padding;
        remaining = 0;
        padding = 0;
        byte[] buf = toSkip > 0 ? new byte[(int) Math.min(toSkip, 64 * 1024)] : null;
        while (toSkip > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, toSkip));
            if (n < 0) {
                throw truncated();
            }
            toSkip -= n;
        }
    }

    private static long pad(long size) {
        return (BLOCK - (size % BLOCK)) % BLOCK;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] trimNul(byte[] b) {
        int end = b.length;
        while (end > 0 && b[end - 1] == 0) {
            end--;
        }
        return java.util.Arrays.copyOf(b, end);
    }

    private UnsafeLayerException unsafe(String why) {
        return new UnsafeLayerException("layer entry " + (entryCount + 1)
                + (currentName.isEmpty() ? "" : " '" + abbreviate(currentName) + "'") + ": " + why);
    }

    private IOException truncated() {
        return new EOFException("layer is truncated: unexpected end of data in entry " + (entryCount + 1)
                + (currentName.isEmpty() ? "" : " '" + abbreviate(currentName) + "'"));
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }

    /** {@code s} for a message: escaped to one line ({@link FileNames#display}), at most 200 characters. */
    private static String abbreviate(String s) {
        String shown = FileNames.display(s);
        return shown.length() <= 200 ? shown : shown.substring(0, 200) + "…";
    }
}
