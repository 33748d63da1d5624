package dev.strata.image.layer;

import dev.strata.image.UnsafeLayerException;
import dev.strata.image.digest.Digest;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Covers applying layers: entry kinds, metadata, whiteouts in both forms, replacement rules and digests. */
class LayerApplierTest {
    @TempDir
    Path tmp;

    private Path root() throws IOException {
        return Files.createDirectories(tmp.resolve("root"));
    }

    private ApplyResult apply(Path root, byte[] blob) throws IOException {
        return new LayerApplier().apply(new ByteArrayInputStream(blob), root);
    }

    private ApplyResult apply(Path root, byte[] blob, ApplyOptions options) throws IOException {
        return new LayerApplier(options).apply(new ByteArrayInputStream(blob), root);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void computesDigestsInOnePassForEveryCompression(boolean pipelined) throws IOException {
        byte[] tar = new TarBuilder().dir("a/").file("a/b", "hello").end().raw(new byte[4096]).bytes();
        for (Compression c : Compression.values()) {
            ByteArrayOutputStream blob = new ByteArrayOutputStream();
            try (OutputStream out = c.compress(blob, 0)) {
                out.write(tar);
            }
            byte[] bytes = blob.toByteArray();
            Path root = Files.createDirectories(tmp.resolve(c.name() + pipelined));
            ApplyResult r = apply(root, bytes, ApplyOptions.defaults().withPipelined(pipelined));
            assertThat(r.compression()).isEqualTo(c);
            assertThat(r.digest()).isEqualTo(Digest.sha256(bytes));
            assertThat(r.size()).isEqualTo(bytes.length);
            assertThat(r.diffId()).isEqualTo(Digest.sha256(tar));
            assertThat(r.uncompressedSize()).isEqualTo(tar.length);
            assertThat(Files.readString(root.resolve("a/b"))).isEqualTo("hello");
        }
    }

    @Test
    void trailingDataAfterGzipIsPartOfTheBlobDigest() throws IOException {
        byte[] gz = new TarBuilder().file("f", "x").end().gzip();
        byte[] withJunk = java.util.Arrays.copyOf(gz, gz.length + 100);
        ApplyResult r = apply(root(), withJunk);
        assertThat(r.digest()).isEqualTo(Digest.sha256(withJunk));
        assertThat(r.size()).isEqualTo(withJunk.length);
    }

    @Test
    void appliesMetadataIncludingSpecialBitsAndNanosecondTimes() throws IOException {
        Capabilities.requireRoot();
        Path root = root();
        byte[] tar = new TarBuilder()
                .entry("ro/").type('5').mode(0555).mtime(1000).add()
                .entry("ro/file").data("x").mode(04755).owner(1234, 5678).pax("mtime", "1600000000.123456789").add()
                .entry("tmp/").type('5').mode(01777).add()
                .entry("none/").type('5').mode(0).add()
                .entry("none/inside").data("y").mode(0640).add()
                .symlink("link", "ro/file")
                .entry("dev/null").type('3').device(1, 3).mode(0666).add()
                .entry("fifo").type('6').mode(0600).add()
                .end().bytes();
        apply(root, tar);
        Path file = root.resolve("ro/file");
        assertThat(Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0100000 | 04755);
        assertThat(Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(1234);
        assertThat(Files.getAttribute(file, "unix:gid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(5678);
        assertThat(Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant())
                .isEqualTo(java.time.Instant.ofEpochSecond(1600000000, 123456789));
        assertThat(mode(root.resolve("ro"))).isEqualTo(0555);
        assertThat(Files.getLastModifiedTime(root.resolve("ro")).toMillis()).isEqualTo(1000_000);
        assertThat(mode(root.resolve("tmp"))).isEqualTo(01777);
        assertThat(mode(root.resolve("none"))).isEqualTo(0);
        assertThat(Files.readString(root.resolve("none/inside"))).isEqualTo("y");
        assertThat(Files.readSymbolicLink(root.resolve("link")).toString()).isEqualTo("ro/file");
        assertThat(Files.getAttribute(root.resolve("dev/null"), "unix:rdev")).isEqualTo(0x103L);
        assertThat(Files.getAttribute(root.resolve("fifo"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(0010000 | 0600);
    }

    @Test
    void keepsBinaryCapabilityXattrAfterChownAndDropsOverlayAndSelinuxXattrs() throws IOException {
        Capabilities.requireRoot();
        Path root = root();
        // VFS_CAP_REVISION_2 with cap_setuid (bit 7 -> byte 0x80) permitted and effective.
        byte[] cap = {1, 0, 0, 2, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        byte[] tar = new TarBuilder()
                .entry("bin/ping").data("elf").mode(0755).owner(0, 0)
                .pax("SCHILY.xattr.security.capability", cap)
                .pax("SCHILY.xattr.trusted.overlay.opaque", "y")
                .pax("SCHILY.xattr.security.selinux", "system_u:object_r:bin_t:s0")
                .pax("SCHILY.xattr.user.note", "kept")
                .add().end().bytes();
        apply(root, tar);
        var fs = dev.strata.image.fs.RootedFs.open(root);
        try (fs) {
            assertThat(fs.getXattr("bin/ping", "security.capability")).contains(cap);
            assertThat(fs.getXattr("bin/ping", "trusted.overlay.opaque")).isEmpty();
            assertThat(fs.getXattr("bin/ping", "user.note").map(String::new)).contains("kept");
            assertThat(fs.listXattrs("bin/ping")).doesNotContain("security.selinux");
        }
    }

    @Test
    void hardlinksShareTheInode() throws IOException {
        Path root = root();
        apply(root, new TarBuilder().file("a", "data").hardlink("b", "a").hardlink("c", "/a").end().bytes());
        Object ino = Files.getAttribute(root.resolve("a"), "unix:ino");
        assertThat(Files.getAttribute(root.resolve("b"), "unix:ino")).isEqualTo(ino);
        assertThat(Files.getAttribute(root.resolve("c"), "unix:ino")).isEqualTo(ino);
    }

    /** A lower tree, a layer on top, and what must hold afterwards (delete form). */
    static Stream<Arguments> changesets() {
        return Stream.of(
                Arguments.of("whiteout removes lower file",
                        new TarBuilder().file("d/keep", "1").file("d/gone", "2").end(),
                        new TarBuilder().file("d/.wh.gone", "").end(),
                        List.of("d/", "d/keep")),
                Arguments.of("whiteout removes lower directory recursively",
                        new TarBuilder().file("d/sub/x", "1").file("d/sub/y/z", "2").end(),
                        new TarBuilder().file("d/.wh.sub", "").end(),
                        List.of("d/")),
                Arguments.of("whiteout of a missing name is a no-op",
                        new TarBuilder().file("a", "1").end(),
                        new TarBuilder().file(".wh.nothing", "").end(),
                        List.of("a")),
                Arguments.of("whiteout never removes an entry of the same layer",
                        new TarBuilder().file("old", "1").end(),
                        new TarBuilder().file("new", "2").file(".wh.new", "").end(),
                        List.of("new", "old")),
                Arguments.of("opaque directory hides lower children only",
                        new TarBuilder().file("d/lower1", "1").file("d/sub/lower2", "2").file("other", "3").end(),
                        new TarBuilder().dir("d/").file("d/-early", "e").file("d/.wh..wh..opq", "")
                                .file("d/late", "l").end(),
                        List.of("d/", "d/-early", "d/late", "other")),
                Arguments.of("file replaces directory",
                        new TarBuilder().file("x/inner", "1").end(),
                        new TarBuilder().file("x", "now a file").end(),
                        List.of("x")),
                Arguments.of("directory replaces file",
                        new TarBuilder().file("x", "file").end(),
                        new TarBuilder().dir("x/").file("x/y", "1").end(),
                        List.of("x/", "x/y")),
                Arguments.of("symlink replaces directory without following",
                        new TarBuilder().file("x/inner", "1").end(),
                        new TarBuilder().symlink("x", "/etc").end(),
                        List.of("x -> /etc")),
                Arguments.of("directory over directory merges",
                        new TarBuilder().file("d/a", "1").end(),
                        new TarBuilder().dir("d/").file("d/b", "2").end(),
                        List.of("d/", "d/a", "d/b")),
                Arguments.of("whiteout then re-add in same layer",
                        new TarBuilder().file("d/f", "old").end(),
                        new TarBuilder().file("d/.wh.f", "").file("d/f", "new").end(),
                        List.of("d/", "d/f")),
                Arguments.of("files through a lower symlink to a directory land in its target",
                        new TarBuilder().dir("usr/lib/").symlink("lib", "usr/lib").end(),
                        new TarBuilder().file("lib/libc.so", "c").end(),
                        List.of("lib -> usr/lib", "usr/", "usr/lib/", "usr/lib/libc.so")),
                Arguments.of("AUFS bookkeeping whiteouts are ignored",
                        new TarBuilder().file("a", "1").end(),
                        new TarBuilder().file(".wh..wh.plnk", "").dir(".wh..wh.orph/").end(),
                        List.of("a")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changesets")
    void appliesChangesetsInDeleteForm(String name, TarBuilder lower, TarBuilder layer, List<String> expected)
            throws IOException {
        Path root = root();
        apply(root, lower.bytes());
        apply(root, layer.bytes());
        assertThat(TreeSnapshot.listing(root)).containsExactlyElementsOf(expected);
    }

    @Test
    void overlayFormWritesWhiteoutDevicesAndOpaqueXattr() throws IOException {
        Capabilities.requireRoot();
        Path root = root();
        apply(root, new TarBuilder().dir("d/").file("d/.wh..wh..opq", "").file("d/new", "n").file("e/.wh.gone", "")
                .end().bytes(), ApplyOptions.defaults().withWhiteouts(WhiteoutMode.OVERLAY));
        assertThat(Files.getAttribute(root.resolve("e/gone"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(0020000);
        assertThat(Files.getAttribute(root.resolve("e/gone"), "unix:rdev", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(0L);
        try (var fs = dev.strata.image.fs.RootedFs.open(root)) {
            assertThat(fs.getXattr("d", "trusted.overlay.opaque").map(String::new)).contains("y");
        }
        assertThat(TreeSnapshot.listing(root)).containsExactly("d/", "d/new", "e/", "e/gone");
    }

    static Stream<Arguments> invalidWhiteouts() {
        return Stream.of(
                Arguments.of(".wh.", "invalid whiteout"),
                Arguments.of("d/.wh.", "invalid whiteout"),
                Arguments.of("d/.wh..", "invalid whiteout"),
                Arguments.of(".wh...", "invalid whiteout"),
                Arguments.of("../.wh.x", "'..'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidWhiteouts")
    void rejectsInvalidWhiteouts(String name, String message) throws IOException {
        Path root = root();
        assertThatThrownBy(() -> apply(root, new TarBuilder().file(name, "").end().bytes()))
                .isInstanceOf(UnsafeLayerException.class).hasMessageContaining(message)
                .hasMessageContaining(name);
    }

    @Test
    void rootEntryUpdatesMetadataButNeverChangesType() throws IOException {
        Path root = root();
        apply(root, new TarBuilder().entry("./").type('5').mode(0751).add().file("a", "1").end().bytes());
        assertThat(mode(root)).isEqualTo(0751);
        for (String name : List.of(".", "./", "/")) {
            assertThatThrownBy(() -> apply(root, new TarBuilder().file(name, "x").end().bytes()))
                    .isInstanceOf(UnsafeLayerException.class).hasMessageContaining("root");
            assertThatThrownBy(() -> apply(root, new TarBuilder().symlink(name, "/etc").end().bytes()))
                    .isInstanceOf(UnsafeLayerException.class);
        }
        assertThat(Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    @Test
    void rootlessRecordsOwnershipAndSkipsDevicesWithWarnings() throws IOException {
        Path root = root();
        ApplyResult r = apply(root, new TarBuilder().entry("f").data("x").owner(1000, 1000).add()
                        .end().bytes(),
                ApplyOptions.defaults().withOwnership(ApplyOptions.Ownership.RECORD_ONLY));
        assertThat(Files.getAttribute(root.resolve("f"), "unix:uid")).isEqualTo(
                Files.getAttribute(root, "unix:uid"));
        assertThat(r.warnings()).isEmpty();
        assertThatThrownBy(() -> apply(root, new TarBuilder().entry("g").data("x").owner(7, 7).add().end().bytes(),
                ApplyOptions.defaults().withOwnership(ApplyOptions.Ownership.RECORD_ONLY)
                        .withFailOnUnsupported(true)))
                .isInstanceOf(UnsafeLayerException.class).hasMessageContaining("CAP_CHOWN");
    }

    @Test
    void sparseFileIsExpandedAndCountedAgainstTheCap() throws IOException {
        Path root = root();
        byte[] tar = new TarBuilder().entry("s").data("abcd").pax("GNU.sparse.size", "1000")
                .pax("GNU.sparse.map", "10,2,998,2").add().end().bytes();
        apply(root, tar);
        byte[] content = Files.readAllBytes(root.resolve("s"));
        assertThat(content).hasSize(1000);
        assertThat(content[10]).isEqualTo((byte) 'a');
        assertThat(content[999]).isEqualTo((byte) 'd');
        byte[] bomb = new TarBuilder().entry("b").data("x").pax("GNU.sparse.size", Long.toString(1L << 40))
                .pax("GNU.sparse.map", "0,1").add().end().bytes();
        assertThatThrownBy(() -> apply(root, bomb, ApplyOptions.defaults().withMaxUncompressed(1 << 20)))
                .isInstanceOf(UnsafeLayerException.class).hasMessageContaining("sparse file expands");
    }

    @Test
    void gzipBombStopsAtTheCap() throws IOException {
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        try (OutputStream out = Compression.GZIP.compress(blob, 9)) {
            byte[] header = new TarBuilder().entry("zeros").declaredSize(64L << 20).add().bytes();
            out.write(header, 0, 512);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                out.write(zeros);
            }
        }
        assertThat(blob.size()).isLessThan(200_000);
        Path root = root();
        assertThatThrownBy(() -> apply(root, blob.toByteArray(), ApplyOptions.defaults().withMaxUncompressed(8 << 20)))
                .isInstanceOf(UnsafeLayerException.class).hasMessageContaining("decompression bomb");
    }

    private static int mode(Path p) throws IOException {
        return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
    }
}
