package dev.strata.image.layer;

import dev.strata.image.digest.Digest;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.strata.image.layer.TreeFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** LayerWriter: tar entries and their metadata, whiteouts, hardlinks, compression, digests in one pass, umoci interop. */
class LayerWriterTest {
    private static final Instant NS_TIME = Instant.ofEpochSecond(1_650_000_000L, 987_654_321);

    @TempDir
    Path tmp;

    /** A tree with one of everything a non-root user can make. */
    private Path plainTree() {
        Path up = tmp.resolve("upper");
        file(up, "etc/passwd", "root:x:0:0\n");
        file(up, "bin/sh", "#!shell\n");
        sh(up, "chmod", "4755", "bin/sh");
        symlink(up, "bin/ls", "../usr/bin/ls");
        file(up, "data/a", "shared");
        hardlink(up, "data/b", "data/a");
        sh(up, "mkfifo", "data/fifo");
        file(up, "data/x", "xattrs");
        userXattr(up.resolve("data/x"), "foo", "bar");
        userXattr(up.resolve("data/x"), "overlay.origin", "dropped");
        String longName = "d/" + "n".repeat(120);
        file(up, longName, "long");
        file(up, "d/ünïcødé", "utf8");
        dir(up, "opq");
        file(up, "opq/kept", "k");
        sh(up, "chmod", "1777", "opq");
        setAllMtimes(up, NS_TIME);
        return up;
    }

    private List<Change> plainChanges(Path up) throws IOException {
        List<Change> changes = new ArrayList<>();
        for (Change c : Changes.between(Files.createDirectories(tmp.resolve("empty")), up)) {
            changes.add(c.path().equals("/opq") ? new Change(Change.Kind.ADD, "/opq", true) : c);
        }
        changes.add(Change.delete("/etc/shadow"));
        changes.add(Change.delete("/gone"));
        return changes;
    }

    @Test
    void writesEveryKindOfEntryWithItsMetadata() throws IOException {
        Path up = plainTree();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LayerWriter(LayerWriterOptions.of(Compression.NONE)).write(up, plainChanges(up), out);
        byte[] tar = out.toByteArray();

        Map<String, TarEntry> entries = readAll(tar);
        assertThat(entries.keySet()).containsExactly(
                "bin/", "bin/ls", "bin/sh", "d/", "d/" + "n".repeat(120), "d/ünïcødé",
                "data/", "data/a", "data/b", "data/fifo", "data/x",
                "etc/", "etc/passwd", "etc/.wh.shadow",
                ".wh.gone",
                "opq/", "opq/.wh..wh..opq", "opq/kept");

        TarEntry sh = entries.get("bin/sh");
        assertThat(sh.type()).isEqualTo(TarType.REGULAR);
        assertThat(sh.mode()).isEqualTo(04755);
        assertThat(sh.mtimeSeconds()).isEqualTo(NS_TIME.getEpochSecond());
        assertThat(sh.mtimeNanos()).isEqualTo(NS_TIME.getNano());
        assertThat(sh.size()).isEqualTo(8);
        assertThat(entries.get("opq/").mode()).isEqualTo(01777);
        assertThat(entries.get("opq/").type()).isEqualTo(TarType.DIRECTORY);
        assertThat(entries.get("bin/ls").type()).isEqualTo(TarType.SYMLINK);
        assertThat(entries.get("bin/ls").linkName()).isEqualTo("../usr/bin/ls");
        assertThat(entries.get("data/a").type()).isEqualTo(TarType.REGULAR);
        assertThat(entries.get("data/b").type()).isEqualTo(TarType.HARDLINK);
        assertThat(entries.get("data/b").linkName()).isEqualTo("data/a");
        assertThat(entries.get("data/fifo").type()).isEqualTo(TarType.FIFO);
        assertThat(entries.get("data/x").xattrs()).containsOnlyKeys("user.foo");
        assertThat(new String(entries.get("data/x").xattrs().get("user.foo"), StandardCharsets.UTF_8)).isEqualTo("bar");
        for (String marker : List.of("etc/.wh.shadow", ".wh.gone", "opq/.wh..wh..opq")) {
            assertThat(entries.get(marker).type()).as(marker).isEqualTo(TarType.REGULAR);
            assertThat(entries.get(marker).size()).as(marker).isZero();
        }
        long uid = (Integer) Files.getAttribute(up.resolve("etc/passwd"), "unix:uid");
        assertThat(entries.get("etc/passwd").uid()).isEqualTo(uid);

        // A second, independent reader agrees, and names are numeric-only.
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            TarArchiveEntry e;
            int n = 0;
            while ((e = in.getNextEntry()) != null) {
                n++;
                assertThat(e.getUserName()).as(e.getName()).isEmpty();
                assertThat(e.getGroupName()).as(e.getName()).isEmpty();
                if (e.getName().equals("bin/sh")) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("#!shell\n");
                }
            }
            assertThat(n).isEqualTo(entries.size());
        }
        assertThat(maxConsecutivePaxHeaders(tar)).isEqualTo(1);
    }

    @Test
    void binaryXattrValuesAndOwnersNeedRoot() throws IOException {
        Capabilities.requireRoot();
        Path up = tmp.resolve("upper");
        file(up, "f", "x");
        sh(up, "chown", "1000:2000", "f");
        dir(up, "dev");
        sh(up, "mknod", "dev/null", "c", "1", "3");
        sh(up, "mknod", "dev/big", "b", "259", "70000");
        // user.* xattrs are readable by the NIO reader; a value with bytes >= 0x80 must survive byte for byte.
        byte[] binary = {0x02, 0x00, 0x00, 0x02, (byte) 0x80, (byte) 0xff, 0x00, 0x01};
        Files.getFileAttributeView(up.resolve("f"), java.nio.file.attribute.UserDefinedFileAttributeView.class)
                .write("bin", java.nio.ByteBuffer.wrap(binary));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LayerWriter(LayerWriterOptions.of(Compression.NONE))
                .write(up, Changes.between(Files.createDirectories(tmp.resolve("empty")), up), out);
        Map<String, TarEntry> entries = readAll(out.toByteArray());
        assertThat(entries.get("f").uid()).isEqualTo(1000);
        assertThat(entries.get("f").gid()).isEqualTo(2000);
        assertThat(entries.get("f").xattrs().get("user.bin")).isEqualTo(binary);
        assertThat(entries.get("dev/null").type()).isEqualTo(TarType.CHAR_DEVICE);
        assertThat(entries.get("dev/null").devMajor()).isEqualTo(1);
        assertThat(entries.get("dev/null").devMinor()).isEqualTo(3);
        assertThat(entries.get("dev/big").type()).isEqualTo(TarType.BLOCK_DEVICE);
        assertThat(entries.get("dev/big").devMajor()).isEqualTo(259);
        assertThat(entries.get("dev/big").devMinor()).isEqualTo(70000);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void digestsAreComputedWhileWriting(Compression compression) throws IOException {
        Path up = plainTree();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerWriteResult r = new LayerWriter(LayerWriterOptions.of(compression)).write(up, plainChanges(up), out);
        byte[] blob = out.toByteArray();
        byte[] tar;
        try (InputStream in = compression.decompress(new ByteArrayInputStream(blob))) {
            tar = in.readAllBytes();
        }
        assertThat(Compression.detect(blob, blob.length)).isEqualTo(compression);
        assertThat(r.compression()).isEqualTo(compression);
        assertThat(r.size()).isEqualTo(blob.length);
        assertThat(r.digest()).isEqualTo(Digest.sha256(blob));
        assertThat(r.uncompressedSize()).isEqualTo(tar.length);
        assertThat(r.diffId()).isEqualTo(Digest.sha256(tar));
        assertThat(r.mediaType()).isEqualTo(compression.ociLayerMediaType());
        assertThat(readAll(tar)).containsKey("etc/passwd");
    }

    @Test
    void leavesTheCallersStreamOpen() throws IOException {
        Path up = plainTree();
        boolean[] closed = {false};
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        new LayerWriter(LayerWriterOptions.defaults()).write(up, plainChanges(up), out);
        assertThat(closed[0]).isFalse();
        assertThat(out.size()).isPositive();
    }

    @Test
    void clampedMtimesMakeLayersReproducible() throws IOException {
        Instant clamp = Instant.ofEpochSecond(1_000_000_000L);
        LayerWriterOptions opts = LayerWriterOptions.of(Compression.GZIP).withClampMtime(clamp);
        Path up = plainTree();
        List<Change> changes = plainChanges(up);
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        LayerWriteResult a = new LayerWriter(opts).write(up, changes, first);
        setAllMtimes(up, NS_TIME.plusSeconds(3600));
        LayerWriteResult b = new LayerWriter(opts).write(up, changes, new ByteArrayOutputStream());
        assertThat(b.digest()).isEqualTo(a.digest());
        assertThat(b.diffId()).isEqualTo(a.diffId());
        byte[] tar;
        try (InputStream in = Compression.GZIP.decompress(new ByteArrayInputStream(first.toByteArray()))) {
            tar = in.readAllBytes();
        }
        for (TarEntry e : readAll(tar).values()) {
            assertThat(e.mtimeSeconds()).as(e.name()).isEqualTo(clamp.getEpochSecond());
            assertThat(e.mtimeNanos()).as(e.name()).isZero();
        }
        // Earlier mtimes are kept as they are.
        Instant early = Instant.ofEpochSecond(500_000_000L, 5);
        setMtime(up.resolve("etc/passwd"), early);
        ByteArrayOutputStream third = new ByteArrayOutputStream();
        new LayerWriter(new LayerWriterOptions(Compression.NONE, 0, clamp)).write(up, changes, third);
        TarEntry passwd = readAll(third.toByteArray()).get("etc/passwd");
        assertThat(passwd.mtimeSeconds()).isEqualTo(early.getEpochSecond());
        assertThat(passwd.mtimeNanos()).isEqualTo(5);
    }

    /** umoci applies our layers on top of each other and gets the upper tree, deletions and all. */
    @Test
    void umociUnpacksOurLayers() throws IOException {
        Capabilities.requireRoot();
        Capabilities.requireTool("umoci");
        Path lower = tmp.resolve("lower");
        Path upper = tmp.resolve("upper");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        for (Path root : List.of(lower, upper)) {
            base(root);
        }
        delete(upper, "etc/hosts");
        delete(upper, "var/lib/data");
        file(upper, "var/lib/data", "file now");
        file(upper, "bin/sh", "#!other shell, longer\n");
        sh(upper, "chmod", "4750", "bin/sh");
        sh(upper, "chown", "1000:1000", "etc/passwd");
        delete(upper, "bin/link");
        symlink(upper, "bin/link", "/elsewhere");
        file(upper, "opt/app/new", "new");
        hardlink(upper, "opt/app/new2", "opt/app/new");

        Path layout = tmp.resolve("layout");
        Proc.ok(tmp, "umoci", "init", "--layout", layout.toString());
        Proc.ok(tmp, "umoci", "new", "--image", layout + ":t");
        LayerWriterOptions none = LayerWriterOptions.of(Compression.NONE);
        Path base = tmp.resolve("base.tar");
        Path diff = tmp.resolve("diff.tar");
        try (var out = Files.newOutputStream(base)) {
            LayerWriter.writeDiff(empty, lower, out, none);
        }
        try (var out = Files.newOutputStream(diff)) {
            LayerWriter.writeDiff(lower, upper, out, none);
        }
        Proc.ok(tmp, "umoci", "raw", "add-layer", "--image", layout + ":t", base.toString());
        Proc.ok(tmp, "umoci", "raw", "add-layer", "--image", layout + ":t", diff.toString());
        Path bundle = tmp.resolve("bundle");
        Proc.ok(tmp, "umoci", "unpack", "--image", layout + ":t", bundle.toString());
        Path rootfs = bundle.resolve("rootfs");

        assertThat(snapshot(rootfs)).isEqualTo(snapshot(upper));
        assertThat(rootfs.resolve("etc/hosts")).doesNotExist();
        assertThat(Files.readSymbolicLink(rootfs.resolve("bin/link"))).isEqualTo(Path.of("/elsewhere"));
        assertThat(Files.getAttribute(rootfs.resolve("opt/app/new2"), "unix:ino"))
                .isEqualTo(Files.getAttribute(rootfs.resolve("opt/app/new"), "unix:ino"));
    }

    /** path → type, mode, owner, content or link target, and mtime for non-directories. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted().toList()) {
                String rel = root.relativize(p).toString();
                Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
                StringBuilder b = new StringBuilder(Integer.toOctalString((Integer) a.get("mode")))
                        .append(' ').append(a.get("uid")).append(':').append(a.get("gid"));
                if (Files.isSymbolicLink(p)) {
                    b.append(" -> ").append(Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    b.append(" = ").append(Files.readString(p)).append(" @").append(a.get("lastModifiedTime"));
                }
                out.put(rel.isEmpty() ? "/" : rel, b.toString());
            }
        }
        out.remove("/"); // umoci makes the rootfs root itself
        return out;
    }

    static Map<String, TarEntry> readAll(byte[] tar) throws IOException {
        Map<String, TarEntry> out = new LinkedHashMap<>();
        TarReader r = new TarReader(new ByteArrayInputStream(tar), TarLimits.DEFAULT);
        TarEntry e;
        while ((e = r.next()) != null) {
            assertThat(out.put(e.name(), e)).as("duplicate entry " + e.name()).isNull();
        }
        return out;
    }

    /** The longest run of PAX 'x' headers in a row: a reader like Go's keeps only the last of a run. */
    private static int maxConsecutivePaxHeaders(byte[] tar) {
        int max = 0;
        int run = 0;
        int off = 0;
        while (off + 512 <= tar.length && tar[off] != 0) {
            char type = (char) tar[off + 156];
            long size = Long.parseLong(new String(tar, off + 124, 11, StandardCharsets.US_ASCII).trim(), 8);
            run = type == 'x' ? run + 1 : 0;
            max = Math.max(max, run);
            off += 512 + (int) ((size + 511) / 512 * 512);
        }
        return max;
    }
}
