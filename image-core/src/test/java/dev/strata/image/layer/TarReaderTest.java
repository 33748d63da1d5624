package dev.strata.image.layer;

import dev.strata.image.UnsafeLayerException;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Covers the strict tar reader: ustar, pax, GNU long names, sparse formats, and malformed headers. */
class TarReaderTest {

    @TempDir
    Path tmp;

    private static List<TarEntry> readAll(byte[] tar) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(tar), TarLimits.DEFAULT);
        List<TarEntry> out = new ArrayList<>();
        for (TarEntry e = r.next(); e != null; e = r.next()) {
            out.add(e);
        }
        return out;
    }

    /** Names are bytes: ustar, pax path and pax linkpath bytes that are not UTF-8 decode losslessly (FileNames). */
    @Test
    void namesThatAreNotUtf8AreReadAsTheirBytes() throws IOException {
        byte[] tar = new TarBuilder()
                .entry(new byte[] {'a', (byte) 0xff, 'b'}).data("x").add()
                .entry("ignored").pax("path", new byte[] {'c', 'a', 'f', (byte) 0xe9}).data("y").add()
                .entry("s").type('2').pax("linkpath", new byte[] {'t', '\n', (byte) 0xc3}).add()
                .end().bytes();
        TarReader r = new TarReader(new ByteArrayInputStream(tar), TarLimits.DEFAULT);
        assertThat(r.next().name()).isEqualTo("a\udcffb");
        assertThat(r.next().name()).isEqualTo("caf\udce9");
        TarEntry link = r.next();
        assertThat(link.linkName()).isEqualTo("t\n\udcc3");
        assertThat(dev.strata.image.fs.FileNames.encode(link.linkName())).containsExactly('t', '\n', 0xc3);
        assertThat(r.next()).isNull();
    }

    @Test
    void readsBasicTypesAndMetadata() throws IOException {
        byte[] tar = new TarBuilder()
                .dir("etc/")
                .entry("etc/passwd").data("root:x:0:0\n").mode(04755).owner(1000, 2000).mtime(1234567890).add()
                .symlink("etc/link", "/etc/passwd")
                .hardlink("etc/hard", "etc/passwd")
                .entry("dev/null").type('3').device(1, 3).mode(0666).add()
                .entry("dev/sda").type('4').device(8, 0).add()
                .entry("run/fifo").type('6').add()
                .end().bytes();
        List<TarEntry> entries = readAll(tar);
        assertThat(entries).extracting(TarEntry::name)
                .containsExactly("etc/", "etc/passwd", "etc/link", "etc/hard", "dev/null", "dev/sda", "run/fifo");
        assertThat(entries).extracting(TarEntry::type).containsExactly(TarType.DIRECTORY, TarType.REGULAR,
                TarType.SYMLINK, TarType.HARDLINK, TarType.CHAR_DEVICE, TarType.BLOCK_DEVICE, TarType.FIFO);
        TarEntry passwd = entries.get(1);
        assertThat(passwd.mode()).isEqualTo(04755);
        assertThat(passwd.uid()).isEqualTo(1000);
        assertThat(passwd.gid()).isEqualTo(2000);
        assertThat(passwd.mtimeSeconds()).isEqualTo(1234567890);
        assertThat(passwd.size()).isEqualTo(11);
        assertThat(entries.get(2).linkName()).isEqualTo("/etc/passwd");
        assertThat(entries.get(4).devMajor()).isEqualTo(1);
        assertThat(entries.get(4).devMinor()).isEqualTo(3);
    }

    @Test
    void paxOverridesNamesTimesIdsAndKeepsBinaryXattrs() throws IOException {
        byte[] cap = {1, 0, 0, 2, (byte) 0x80, 0x20, 0, 0, 0, 0, 0, 0, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0};
        String longName = "d/" + "x".repeat(300);
        byte[] tar = new TarBuilder()
                .entry("short").data("abc")
                .pax("path", longName)
                .pax("mtime", "1700000000.123456789")
                .pax("atime", "-1.5")
                .pax("uid", "4294967294")
                .pax("SCHILY.xattr.security.capability", cap)
                .pax("SCHILY.xattr.user.comment", "héllo")
                .add()
                .end().bytes();
        TarEntry e = readAll(tar).get(0);
        assertThat(e.name()).isEqualTo(longName);
        assertThat(e.mtimeSeconds()).isEqualTo(1700000000L);
        assertThat(e.mtimeNanos()).isEqualTo(123456789);
        assertThat(e.atimeSeconds()).isEqualTo(-2);
        assertThat(e.atimeNanos()).isEqualTo(500000000);
        assertThat(e.uid()).isEqualTo(4294967294L);
        assertThat(e.xattrs().get("security.capability")).isEqualTo(cap);
        assertThat(new String(e.xattrs().get("user.comment"), StandardCharsets.UTF_8)).isEqualTo("héllo");
    }

    @Test
    void gnuLongNameAppliesToNextEntryOnly() throws IOException {
        String longName = "a/".repeat(120) + "file";
        byte[] tar = new TarBuilder().gnuLongName(longName).file("ignored", "x").file("next", "y").end().bytes();
        assertThat(readAll(tar)).extracting(TarEntry::name).containsExactly(longName, "next");
    }

    @Test
    void dataAfterEndMarkerIsNeverReturned() throws IOException {
        byte[] tar = new TarBuilder().file("a", "1").end().file("hidden", "2").end().bytes();
        assertThat(readAll(tar)).extracting(TarEntry::name).containsExactly("a");
    }

    @Test
    void contentStreamYieldsExactlyTheData() throws IOException {
        byte[] data = new byte[70_000];
        new java.util.Random(1).nextBytes(data);
        byte[] tar = new TarBuilder().entry("big").data(data).add().file("after", "z").end().bytes();
        TarReader r = new TarReader(new ByteArrayInputStream(tar), TarLimits.DEFAULT);
        r.next();
        assertThat(r.content().readAllBytes()).isEqualTo(data);
        TarEntry after = r.next();
        assertThat(after.name()).isEqualTo("after");
        assertThat(new String(r.content().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("z");
        assertThat(r.next()).isNull();
    }

    /** Archives GNU tar writes, read back: the reader must agree with the reference implementation. */
    @ParameterizedTest
    @ValueSource(strings = {"gnu", "posix:0.0", "posix:0.1", "posix:1.0", "oldgnu"})
    void readsGnuTarSparseFiles(String format) throws IOException {
        Capabilities.requireTool("tar");
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Path f = src.resolve("sparse");
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)), 8192);
            ch.write(java.nio.ByteBuffer.wrap("world".getBytes(StandardCharsets.US_ASCII)), 5_000_000);
            ch.truncate(10_000_000);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), 9_999_999);
        }
        String[] parts = format.split(":");
        List<String> cmd = new ArrayList<>(List.of("tar", "--sparse", "--format=" + parts[0]));
        if (parts.length > 1) {
            cmd.add("--sparse-version=" + parts[1]);
        }
        cmd.addAll(List.of("-C", src.toString(), "-cf", tmp.resolve("s.tar").toString(), "sparse"));
        Proc.ok(tmp, cmd.toArray(String[]::new));

        TarReader r = new TarReader(Files.newInputStream(tmp.resolve("s.tar")), TarLimits.DEFAULT);
        TarEntry e = r.next();
        assertThat(e.name()).isEqualTo("sparse");
        assertThat(e.isSparse()).isTrue();
        assertThat(e.realSize()).isEqualTo(10_000_000);
        byte[] expanded = new byte[(int) e.realSize()];
        InputStream data = r.content();
        for (TarEntry.SparseSegment s : e.sparse()) {
            int done = 0;
            while (done < s.length()) {
                int n = data.read(expanded, (int) s.offset() + done, (int) s.length() - done);
                assertThat(n).isPositive();
                done += n;
            }
        }
        assertThat(data.read()).isEqualTo(-1);
        assertThat(expanded).isEqualTo(Files.readAllBytes(f));
        assertThat(r.next()).isNull();
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("bad checksum", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").data("x").badChecksum().add().end().bytes(), "not a tar archive"),
                Arguments.of("negative base-256 uid", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").rawUid(new byte[] {(byte) 0xff, -1, -1, -1, -1, -1, -1, -1})
                                .add().end().bytes(), "negative uid"),
                Arguments.of("base-256 uid above 2^32", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").rawUid(new byte[] {(byte) 0x80, 0, 0, 1, 0, 0, 0, 0})
                                .add().end().bytes(), "out of range"),
                Arguments.of("pax uid above 2^32", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").pax("uid", "4294967295").add().end().bytes(), "out of range"),
                Arguments.of("pax negative gid", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").pax("gid", "-1").add().end().bytes(), "malformed number"),
                Arguments.of("pax huge number", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").pax("size", "99999999999999999999999").add().end().bytes(),
                        "malformed number"),
                Arguments.of("octal field with garbage", (Supplier<byte[]>) () -> {
                    byte[] t = new TarBuilder().entry("a").add().end().bytes();
                    t[110] = 'z';
                    return fixChecksum(t);
                }, "malformed uid"),
                Arguments.of("unknown type", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").type('Z').add().end().bytes(), "unsupported tar entry type 'Z'"),
                Arguments.of("lone zero block then data", (Supplier<byte[]>) () ->
                        new TarBuilder().file("a", "1").raw(new byte[512]).file("b", "2").end().bytes(),
                        "zero block"),
                Arguments.of("huge pax header", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").pax("comment", "x".repeat(2 << 20)).add().end().bytes(),
                        "exceeds the limit"),
                Arguments.of("overlong name", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("a").pax("path", "n".repeat(5000)).add().end().bytes(),
                        "longer than 4096"),
                Arguments.of("pax record without '='", (Supplier<byte[]>) () -> {
                    TarBuilder b = new TarBuilder();
                    byte[] rec = "9 abcdef\n".getBytes(StandardCharsets.US_ASCII);
                    return b.entry("PaxHeaders/x").type('x').data(rec).add().file("a", "1").end().bytes();
                }, "keyword=value"),
                Arguments.of("pax record length lies", (Supplier<byte[]>) () -> {
                    byte[] rec = "99 path=a\n".getBytes(StandardCharsets.US_ASCII);
                    return new TarBuilder().entry("PaxHeaders/x").type('x').data(rec).add().file("a", "1").end()
                            .bytes();
                }, "malformed pax record"),
                Arguments.of("sparse map past file end", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("s").data("abcd").pax("GNU.sparse.size", "2")
                                .pax("GNU.sparse.map", "0,4").add().end().bytes(), "sparse"),
                Arguments.of("sparse map declares other data size", (Supplier<byte[]>) () ->
                        new TarBuilder().entry("s").data("abcd").pax("GNU.sparse.size", "100")
                                .pax("GNU.sparse.map", "0,2,50,1").add().end().bytes(), "declares 3 data bytes"),
                Arguments.of("extended header with no entry", (Supplier<byte[]>) () ->
                        new TarBuilder().gnuLongName("x").bytes(), "no entry"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedArchivesFailWithUnsafeLayerException(String name, Supplier<byte[]> tar, String message) {
        assertThatThrownBy(() -> readAll(tar.get()))
                .isInstanceOf(UnsafeLayerException.class)
                .hasMessageContaining(message);
    }

    @Test
    void truncatedArchiveIsAnError() {
        byte[] full = new TarBuilder().entry("a").data(new byte[5000]).add().end().bytes();
        byte[] cut = Arrays.copyOf(full, 512 + 2000);
        assertThatThrownBy(() -> {
            TarReader r = new TarReader(new ByteArrayInputStream(cut), TarLimits.DEFAULT);
            r.next();
            r.content().readAllBytes();
        }).isInstanceOf(EOFException.class).hasMessageContaining("truncated").hasMessageContaining("'a'");
        byte[] cutHeader = Arrays.copyOf(full, 300);
        assertThatThrownBy(() -> readAll(cutHeader)).isInstanceOf(EOFException.class);
    }

    private static byte[] fixChecksum(byte[] t) {
        for (int i = 148; i < 156; i++) {
            t[i] = ' ';
        }
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += t[i] & 0xff;
        }
        byte[] s = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, t, 148, 8);
        return t;
    }
}
