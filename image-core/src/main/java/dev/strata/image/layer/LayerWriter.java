package dev.strata.image.layer;

import dev.strata.image.digest.Digest;
import dev.strata.image.digest.Digester;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes a change set as an OCI layer: a tar stream in tree order (a directory before its children; whiteouts where
 * the deleted path would sort), compressed, with the blob digest and the DiffID computed in the same pass.
 *
 * <p>Entries carry numeric owners (empty user and group names), all 12 permission bits, mtimes to the nanosecond,
 * device numbers and the image's xattrs as PAX {@code SCHILY.xattr.*} records (overlay bookkeeping and
 * {@code security.selinux} are dropped). A deletion becomes an empty file {@code dir/.wh.name}; an opaque directory is
 * followed by {@code dir/.wh..wh..opq}. Regular files of this change set that share an inode are written once; later
 * paths become hardlink entries to the first. Sockets cannot be represented in tar and are skipped.
 *
 * <p>PAX headers are encoded here rather than by commons-compress: xattr values are bytes (a
 * {@code security.capability} is binary), and commons-compress only takes PAX values as strings it encodes as UTF-8,
 * and it rounds PAX mtimes to 100 ns. For an entry with a PAX header the stream is switched, for that header only,
 * to modes that add nothing of their own, so a reader never sees two extended headers for one entry.
 */
public final class LayerWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LayerWriter.class);
    private static final int COPY_BUFFER = 1 << 20;
    private static final int TAR_BUFFER = 256 * 1024;
    /** Largest value of a 12-byte octal ustar field (size, mtime). */
    private static final long MAX_OCTAL_12 = 077777777777L;
    /** Largest value of an 8-byte octal ustar field (uid, gid, device numbers). */
    private static final long MAX_OCTAL_8 = 07777777L;
    private static final String WHITEOUT_PREFIX = ".wh.";
    private static final String OPAQUE_MARKER = ".wh..wh..opq";

    private final LayerWriterOptions options;

    public LayerWriter(LayerWriterOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Writes the layer for {@code changes}, whose added and modified paths are read from {@code upperRoot}, to
     * {@code out}. {@code out} is flushed, not closed.
     */
    public LayerWriteResult write(Path upperRoot, List<Change> changes, OutputStream out) throws IOException {
        return write(TreeReader.of(upperRoot), changes, out);
    }

    /** Convenience: {@link Changes#between} of the two trees, written as a layer. */
    public static LayerWriteResult writeDiff(Path lower, Path upper, OutputStream out, LayerWriterOptions options)
            throws IOException {
        return new LayerWriter(options).write(upper, Changes.between(lower, upper), out);
    }

    LayerWriteResult write(TreeReader upper, List<Change> changes, OutputStream out) throws IOException {
        List<Change> sorted = new ArrayList<>(changes);
        sorted.sort((a, b) -> Paths.TREE_ORDER.compare(a.path(), b.path()));
        Digester blob = Digester.sha256();
        Digester diff = Digester.sha256();
        DigestingOutputStream diffCounter = new DigestingOutputStream(
                options.compression().compress(new DigestingOutputStream(out, blob, false), options.level()),
                diff, true);
        long uncompressed;
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(diffCounter, TAR_BUFFER),
                StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            new Session(upper, tar).writeAll(sorted);
            tar.finish();
        }
        uncompressed = diff.size();
        Digest diffId = diff.digest();
        long size = blob.size();
        return new LayerWriteResult(blob.digest(), size, diffId, uncompressed, options.compression());
    }

    /** State of one layer being written: the open tar and the inodes already written. */
    private final class Session {
        private final TreeReader upper;
        private final TarArchiveOutputStream tar;
        private final Map<InodeKey, String> firstPathOfInode = new HashMap<>();
        private final byte[] buffer = new byte[COPY_BUFFER];

        Session(TreeReader upper, TarArchiveOutputStream tar) {
            this.upper = upper;
            this.tar = tar;
        }

        void writeAll(List<Change> changes) throws IOException {
            for (Change c : changes) {
                String rel = c.relativePath();
                if (c.kind() == Change.Kind.DELETE) {
                    writeMarker(Paths.join(Paths.parent(rel), WHITEOUT_PREFIX + Paths.name(rel)));
                    continue;
                }
                NodeMeta m = upper.lstat(rel);
                if (m == null) {
                    throw new IOException("changed path " + c.path() + " vanished from the upper tree while the layer "
                            + "was written");
                }
                writeNode(rel, m);
                if (c.opaque() && m.isDirectory()) {
                    writeMarker(Paths.join(rel, OPAQUE_MARKER));
                }
            }
        }

        private void writeNode(String rel, NodeMeta m) throws IOException {
            TarArchiveEntry e;
            String linkTarget = null;
            long size = 0;
            switch (m.type()) {
                case DIRECTORY:
                    e = new TarArchiveEntry(rel + "/", TarConstants.LF_DIR);
                    break;
                case REGULAR: {
                    String first = m.nlink() > 1 ? firstPathOfInode.putIfAbsent(new InodeKey(m.dev(), m.ino()), rel)
                            : null;
                    if (first != null) {
                        e = new TarArchiveEntry(rel, TarConstants.LF_LINK);
                        linkTarget = first;
                    } else {
                        e = new TarArchiveEntry(rel, TarConstants.LF_NORMAL);
                        size = m.size();
                    }
                    break;
                }
                case SYMLINK:
                    e = new TarArchiveEntry(rel, TarConstants.LF_SYMLINK);
                    linkTarget = upper.readLink(rel);
                    break;
                case CHAR_DEVICE:
                    e = new TarArchiveEntry(rel, TarConstants.LF_CHR);
                    break;
                case BLOCK_DEVICE:
                    e = new TarArchiveEntry(rel, TarConstants.LF_BLK);
                    break;
                case FIFO:
                    e = new TarArchiveEntry(rel, TarConstants.LF_FIFO);
                    break;
                default:
                    LOG.debug("skipping socket /{}: tar cannot represent it", rel);
                    return;
            }
            if (linkTarget != null) {
                e.setLinkName(linkTarget);
            }
            e.setSize(size);
            e.setMode(m.permissions());
            e.setUserId(m.uid());
            e.setGroupId(m.gid());
            e.setUserName("");
            e.setGroupName("");
            if (m.type() == NodeType.CHAR_DEVICE || m.type() == NodeType.BLOCK_DEVICE) {
                e.setDevMajor(checkedInt(m.devMajor(), rel));
                e.setDevMinor(checkedInt(m.devMinor(), rel));
            }
            Instant mtime = clamp(Instant.ofEpochSecond(m.mtimeSeconds(), m.mtimeNanos()));
            SortedMap<String, byte[]> pax = new TreeMap<>();
            for (Map.Entry<String, byte[]> x : Xattrs.carriedOnly(upper.xattrs(rel, m)).entrySet()) {
                pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
            }
            putEntry(e, mtime, pax);
            if (size > 0) {
                copyContent(rel, size);
            }
            tar.closeArchiveEntry();
        }

        private void copyContent(String rel, long size) throws IOException {
            long left = size;
            try (InputStream in = upper.open(rel)) {
                while (left > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw new IOException("/" + rel + " shrank while the layer was written (expected " + size
                                + " bytes)");
                    }
                    tar.write(buffer, 0, n);
                    left -= n;
                }
            }
        }

        /** A whiteout or opaque marker: an empty regular file owned by root, mode 0. */
        private void writeMarker(String rel) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(rel, TarConstants.LF_NORMAL);
            e.setSize(0);
            e.setMode(0);
            e.setUserId(0);
            e.setGroupId(0);
            e.setUserName("");
            e.setGroupName("");
            putEntry(e, options.clampMtime() != null ? options.clampMtime() : Instant.EPOCH, new TreeMap<>());
            tar.closeArchiveEntry();
        }

        private Instant clamp(Instant t) {
            Instant c = options.clampMtime();
            return c != null && t.isAfter(c) ? c : t;
        }

        /**
         * Puts {@code e} with the PAX records it needs: the xattrs in {@code pax} plus whatever its fields need that
         * ustar cannot hold (long or non-ASCII names, big numbers, sub-second mtime).
         */
        private void putEntry(TarArchiveEntry e, Instant mtime, SortedMap<String, byte[]> pax) throws IOException {
            String name = e.getName();
            if (!fitsUstar(name)) {
                pax.put("path", utf8(name));
            }
            String link = e.getLinkName();
            if (link != null && !link.isEmpty() && !fitsUstar(link)) {
                pax.put("linkpath", utf8(link));
            }
            if (e.getSize() > MAX_OCTAL_12) {
                pax.put("size", utf8(Long.toString(e.getSize())));
            }
            if (e.getLongUserId() > MAX_OCTAL_8) {
                pax.put("uid", utf8(Long.toString(e.getLongUserId())));
            }
            if (e.getLongGroupId() > MAX_OCTAL_8) {
                pax.put("gid", utf8(Long.toString(e.getLongGroupId())));
            }
            if (e.isCharacterDevice() || e.isBlockDevice()) {
                if (e.getDevMajor() > MAX_OCTAL_8) {
                    pax.put("SCHILY.devmajor", utf8(Integer.toString(e.getDevMajor())));
                }
                if (e.getDevMinor() > MAX_OCTAL_8) {
                    pax.put("SCHILY.devminor", utf8(Integer.toString(e.getDevMinor())));
                }
            }
            long seconds = mtime.getEpochSecond();
            if (mtime.getNano() != 0 || seconds < 0 || seconds > MAX_OCTAL_12) {
                pax.put("mtime", utf8(paxTime(mtime)));
            }
            // The ustar field gets whole seconds, clipped into range; PAX has the exact value.
            e.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(Math.max(0, Math.min(seconds, MAX_OCTAL_12)))));
            if (pax.isEmpty()) {
                tar.putArchiveEntry(e);
                return;
            }
            byte[] records = paxRecords(pax);
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_TRUNCATE);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
            tar.setAddPaxHeadersForNonAsciiNames(false);
            try {
                TarArchiveEntry header = new TarArchiveEntry(paxHeaderName(name),
                        TarConstants.LF_PAX_EXTENDED_HEADER_LC);
                header.setSize(records.length);
                header.setMode(0644);
                header.setUserId(0);
                header.setGroupId(0);
                header.setUserName("");
                header.setGroupName("");
                header.setLastModifiedTime(e.getLastModifiedTime());
                tar.putArchiveEntry(header);
                tar.write(records);
                tar.closeArchiveEntry();
                tar.putArchiveEntry(e);
            } finally {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                tar.setAddPaxHeadersForNonAsciiNames(true);
            }
        }
    }

    private record InodeKey(long dev, long ino) {
    }

    /** True when {@code s} can stand in a 100-byte ustar name field as is (commons-compress wants it shorter). */
    private static boolean fitsUstar(String s) {
        if (s.length() >= TarConstants.NAMELEN) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Decimal seconds with as many fraction digits as needed, as GNU tar and Go write them. */
    static String paxTime(Instant t) {
        long s = t.getEpochSecond();
        int n = t.getNano();
        if (n == 0) {
            return Long.toString(s);
        }
        // A negative time with a fraction is (s+1) seconds minus (1e9-n) ns: "-1.5" is s=-2, n=5e8.
        String sign = "";
        if (s < 0) {
            sign = "-";
            s = -(s + 1);
            n = 1_000_000_000 - n;
        }
        String frac = String.format("%09d", n);
        int end = frac.length();
        while (frac.charAt(end - 1) == '0') {
            end--;
        }
        return sign + s + "." + frac.substring(0, end);
    }

    /** PAX records {@code "<len> <key>=<value>\n"}, where len counts the whole record including its own digits. */
    static byte[] paxRecords(SortedMap<String, byte[]> pax) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> r : pax.entrySet()) {
            byte[] key = utf8(r.getKey());
            int rest = 1 + key.length + 1 + r.getValue().length + 1; // ' ' key '=' value '\n'
            int len = rest + Integer.toString(rest).length();
            if (Integer.toString(len).length() != Integer.toString(rest).length()) {
                len = rest + Integer.toString(len).length();
            }
            out.writeBytes(utf8(len + " "));
            out.writeBytes(key);
            out.write('=');
            out.writeBytes(r.getValue());
            out.write('\n');
        }
        return out.toByteArray();
    }

    /** A name for the extended header entry itself, which readers ignore; ASCII and short, like tar(1)'s. */
    private static String paxHeaderName(String name) {
        StringBuilder b = new StringBuilder("PaxHeaders.0/");
        String base = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        base = base.substring(base.lastIndexOf('/') + 1);
        for (int i = 0; i < base.length() && b.length() < 99; i++) {
            char c = base.charAt(i);
            b.append(c < 0x80 && c >= 0x20 ? c : '_');
        }
        return b.toString();
    }

    private static int checkedInt(long v, String rel) throws IOException {
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IOException("device number " + v + " of /" + rel + " does not fit a tar header");
        }
        return (int) v;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
