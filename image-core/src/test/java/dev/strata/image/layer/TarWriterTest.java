package dev.strata.image.layer;

import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Covers the pax tar writer: round trip through the reader and acceptance by GNU tar. */
class TarWriterTest {
    @TempDir
    Path tmp;

    static TarEntry entry(String name, TarType type, long size, String link, Map<String, byte[]> xattrs) {
        return new TarEntry(name, type, 0644, 0, 0, size, size, 1_700_000_000L, 0, 0, 0, false, link, 0, 0,
                xattrs, List.of());
    }

    @Test
    void roundTripsEverythingTheReaderUnderstands() throws IOException {
        byte[] cap = {1, 0, 0, 2, (byte) 0x80, 0x20, 0, 0, 0, 0, 0, 0, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0};
        String longName = "deep/" + "n".repeat(150) + "/ünïcödé-file";
        List<TarEntry> in = List.of(
                new TarEntry("dir/", TarType.DIRECTORY, 01777, 0, 0, 0, 0, 5, 0, 0, 0, false, "", 0, 0, Map.of(),
                        List.of()),
                new TarEntry(longName, TarType.REGULAR, 04755, 4_000_000_000L, 3_000_000L, 5, 5, 1_700_000_000L,
                        123_456_789, 0, 0, false, "", 0, 0, Map.of("security.capability", cap, "user.k",
                        "v".getBytes(StandardCharsets.UTF_8)), List.of()),
                new TarEntry("link", TarType.SYMLINK, 0777, 0, 0, 0, 0, 1, 0, 0, 0, false, "t".repeat(200), 0, 0,
                        Map.of(), List.of()),
                new TarEntry("hard", TarType.HARDLINK, 0644, 0, 0, 0, 0, 1, 0, 0, 0, false, longName, 0, 0,
                        Map.of(), List.of()),
                new TarEntry("dev/x", TarType.BLOCK_DEVICE, 0600, 0, 0, 0, 0, 1, 0, 0, 0, false, "", 259, 3_000_000,
                        Map.of(), List.of()),
                new TarEntry("old", TarType.REGULAR, 0600, 0, 0, 0, 0, -2, 500_000_000, 0, 0, false, "", 0, 0,
                        Map.of(), List.of()));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(buf);
        for (TarEntry e : in) {
            w.putEntry(e);
            if (e.type() == TarType.REGULAR && e.size() > 0) {
                w.write("hello".getBytes(StandardCharsets.US_ASCII), 0, 5);
            }
        }
        w.finish();
        assertThat(w.written()).isEqualTo(buf.size());
        assertThat(buf.size() % 512).isZero();

        TarReader r = new TarReader(new ByteArrayInputStream(buf.toByteArray()), TarLimits.DEFAULT);
        List<TarEntry> out = new ArrayList<>();
        for (TarEntry e = r.next(); e != null; e = r.next()) {
            out.add(e);
        }
        assertThat(out).hasSize(in.size());
        for (int i = 0; i < in.size(); i++) {
            TarEntry a = in.get(i);
            TarEntry b = out.get(i);
            assertThat(b.name()).isEqualTo(a.name());
            assertThat(b.type()).isEqualTo(a.type());
            assertThat(b.mode()).isEqualTo(a.mode());
            assertThat(b.uid()).isEqualTo(a.uid());
            assertThat(b.gid()).isEqualTo(a.gid());
            assertThat(b.mtimeSeconds()).as(a.name()).isEqualTo(a.mtimeSeconds());
            assertThat(b.mtimeNanos()).isEqualTo(a.mtimeNanos());
            assertThat(b.linkName()).isEqualTo(a.linkName());
            assertThat(b.devMajor()).isEqualTo(a.devMajor());
            assertThat(b.devMinor()).isEqualTo(a.devMinor());
            assertThat(b.xattrs().keySet()).isEqualTo(a.xattrs().keySet());
            a.xattrs().forEach((k, v) -> assertThat(b.xattrs().get(k)).isEqualTo(v));
        }

        Capabilities.requireTool("tar");
        Path file = tmp.resolve("out.tar");
        Files.write(file, buf.toByteArray());
        String listing = Proc.ok(tmp, "tar", "-tf", file.toString());
        assertThat(listing.lines()).containsExactly("dir/", longName, "link", "hard", "dev/x", "old");
    }
}
