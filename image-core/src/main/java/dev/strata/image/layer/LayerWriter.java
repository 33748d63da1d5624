package dev.strata.image.layer;

import dev.strata.image.digest.Digest;
import dev.strata.image.digest.Digester;
import dev.strata.image.fs.FileStat;
import dev.strata.image.fs.RootedTreeReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

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
 * <p>The upper tree is read with {@link RootedTreeReader}: no symlink is ever followed, and each entry is written
 * from one {@code O_PATH} fd of the node (type, metadata, target, xattrs and content all of that one object). A tree
 * that changes after its change set was computed is written as it is now where that is safe (a file that became a
 * symlink or a FIFO is written as one); a change beneath a directory that became a symlink fails the write.
 *
 * <p>The tar encoding is {@link TarWriter}'s rather than commons-compress's: xattr values are bytes (a
 * {@code security.capability} is binary) that commons-compress would re-encode as UTF-8 strings, and it rounds PAX
 * mtimes to 100 ns, which would make a diff of the applied layer against its source show every file as modified.
 */
public final class LayerWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LayerWriter.class);
    private static final int COPY_BUFFER = 1 << 20;
    private static final int TAR_BUFFER = 256 * 1024;
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
        return write(upperRoot, changes, out, rel -> { });
    }

    /** For tests: {@code beforeEntry} runs with each change's relative path right before its node is opened. */
    LayerWriteResult write(Path upperRoot, List<Change> changes, OutputStream out, Consumer<String> beforeEntry)
            throws IOException {
        try (RootedTreeReader upper = RootedTreeReader.open(upperRoot)) {
            return write(upper, changes, out, beforeEntry);
        }
    }

    /** Convenience: {@link Changes#between} of the two trees, written as a layer. */
    public static LayerWriteResult writeDiff(Path lower, Path upper, OutputStream out, LayerWriterOptions options)
            throws IOException {
        return new LayerWriter(options).write(upper, Changes.between(lower, upper), out);
    }

    private LayerWriteResult write(RootedTreeReader upper, List<Change> changes, OutputStream out,
                                   Consumer<String> beforeEntry) throws IOException {
        List<Change> sorted = new ArrayList<>(changes);
        sorted.sort((a, b) -> Paths.TREE_ORDER.compare(a.path(), b.path()));
        Digester blob = Digester.sha256();
        Digester diff = Digester.sha256();
        // tar -> DiffID digest -> compressor -> blob digest -> caller: one pass, no temporary copy.
        DigestingOutputStream diffCounter = new DigestingOutputStream(
                options.compression().compress(new DigestingOutputStream(out, blob, false), options.level()),
                diff, true);
        try (TarWriter tar = new TarWriter(new BufferedOutputStream(diffCounter, TAR_BUFFER))) {
            new Session(upper, tar, beforeEntry).writeAll(sorted);
            tar.finish();
        }
        long uncompressed = diff.size();
        Digest diffId = diff.digest();
        long size = blob.size();
        return new LayerWriteResult(blob.digest(), size, diffId, uncompressed, options.compression());
    }

    /** State of one layer being written: the open tar and the inodes already written. */
    private final class Session {
        private final RootedTreeReader upper;
        private final TarWriter tar;
        private final Consumer<String> beforeEntry;
        private final Map<InodeKey, String> firstPathOfInode = new HashMap<>();
        private final byte[] buffer = new byte[COPY_BUFFER];

        Session(RootedTreeReader upper, TarWriter tar, Consumer<String> beforeEntry) {
            this.upper = upper;
            this.tar = tar;
            this.beforeEntry = beforeEntry;
        }

        void writeAll(List<Change> changes) throws IOException {
            for (Change c : changes) {
                String rel = c.relativePath();
                if (c.kind() == Change.Kind.DELETE) {
                    writeMarker(Paths.join(Paths.parent(rel), WHITEOUT_PREFIX + Paths.name(rel)));
                    continue;
                }
                beforeEntry.accept(rel);
                try (RootedTreeReader.Node node = open(c)) {
                    writeNode(rel, node);
                    if (c.opaque() && node.stat().isDirectory()) {
                        writeMarker(Paths.join(rel, OPAQUE_MARKER));
                    }
                }
            }
        }

        private RootedTreeReader.Node open(Change c) throws IOException {
            try {
                return upper.node(c.relativePath());
            } catch (NoSuchFileException e) {
                throw new IOException("changed path " + c.path() + " vanished from the upper tree while the layer "
                        + "was written", e);
            }
        }

        private void writeNode(String rel, RootedTreeReader.Node node) throws IOException {
            FileStat m = node.stat();
            String name = rel;
            TarType type;
            String link = "";
            long size = 0;
            switch (m.type()) {
                case DIRECTORY:
                    type = TarType.DIRECTORY;
                    name = rel + "/";
                    break;
                case REGULAR: {
                    String first = m.nlink() > 1 ? firstPathOfInode.putIfAbsent(new InodeKey(m.dev(), m.ino()), rel)
                            : null;
                    if (first != null) {
                        type = TarType.HARDLINK;
                        link = first;
                    } else {
                        type = TarType.REGULAR;
                        size = m.size();
                    }
                    break;
                }
                case SYMLINK:
                    type = TarType.SYMLINK;
                    link = node.readlink();
                    break;
                case CHAR_DEVICE:
                    type = TarType.CHAR_DEVICE;
                    break;
                case BLOCK_DEVICE:
                    type = TarType.BLOCK_DEVICE;
                    break;
                case FIFO:
                    type = TarType.FIFO;
                    break;
                default:
                    LOG.debug("skipping socket /{}: tar cannot represent it", rel);
                    return;
            }
            boolean device = type == TarType.CHAR_DEVICE || type == TarType.BLOCK_DEVICE;
            Instant mtime = clamp(m.mtime());
            Map<String, byte[]> xattrs = Xattrs.carriedOnly(node.xattrs());
            tar.putEntry(new TarEntry(name, type, m.mode(), Integer.toUnsignedLong(m.uid()),
                    Integer.toUnsignedLong(m.gid()), size, size, mtime.getEpochSecond(), mtime.getNano(), 0, 0, false,
                    link, device ? checkedInt(Integer.toUnsignedLong(m.rdevMajor()), rel) : 0,
                    device ? checkedInt(Integer.toUnsignedLong(m.rdevMinor()), rel) : 0, xattrs, List.of()));
            if (size > 0) {
                copyContent(rel, node, size);
            }
        }

        private void copyContent(String rel, RootedTreeReader.Node node, long size) throws IOException {
            long left = size;
            try (InputStream in = node.content()) {
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
            Instant t = options.clampMtime() != null ? options.clampMtime() : Instant.EPOCH;
            tar.putEntry(new TarEntry(rel, TarType.REGULAR, 0, 0, 0, 0, 0, t.getEpochSecond(), t.getNano(), 0, 0,
                    false, "", 0, 0, Map.of(), List.of()));
        }

        private Instant clamp(Instant t) {
            Instant c = options.clampMtime();
            return c != null && t.isAfter(c) ? c : t;
        }
    }

    private record InodeKey(long dev, long ino) {
    }

    private static int checkedInt(long v, String rel) throws IOException {
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IOException("device number " + v + " of /" + rel + " does not fit a tar header");
        }
        return (int) v;
    }
}
