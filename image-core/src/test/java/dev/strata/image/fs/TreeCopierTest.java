package dev.strata.image.fs;

import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.RootedSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Exact tree copies: types, modes, owners, times, xattrs, hard links, and no escape through symlinks. */
class TreeCopierTest {
    @TempDir
    Path tmp;

    private Path src;
    private Path dst;

    private RootedFs source() throws IOException {
        src = tmp.resolve("src");
        dst = tmp.resolve("dst");
        Files.createDirectories(src);
        Files.createDirectories(dst);
        return RootedFs.open(src);
    }

    private static void file(RootedFs fs, String path, String content, int mode) throws IOException {
        try (OutputStream out = fs.createFile(path, 0600)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        fs.chmod(path, mode);
    }

    @Test
    void copiesEveryUnprivilegedKindExactly() throws IOException {
        try (RootedFs fs = source()) {
            fs.mkdir("dir", 0700);
            fs.mkdir("dir/ro", 0700);
            file(fs, "dir/ro/inside", "in a read-only dir", 0444);
            fs.chmod("dir/ro", 0555);
            fs.mkdir("sticky", 0700);
            fs.chmod("sticky", 01777);
            file(fs, "setuid", "su", 04755);
            file(fs, "big", "x".repeat(3_000_000), 0644);
            file(fs, "empty", "", 0600);
            fs.hardlink("dir/big-link", "big");
            fs.symlink("abs", "/etc/passwd");
            fs.symlink("rel", "../../outside");
            fs.mknod("fifo", FileType.FIFO, 0640, 0, 0);
            fs.chmod("fifo", 0640);
            fs.setXattr("setuid", "user.note", new byte[] {0, 1, 2, (byte) 0xff});
            fs.setTimes("dir/ro/inside", Instant.ofEpochSecond(1000, 5), Instant.ofEpochSecond(2000, 123456789));
            fs.setTimes("dir/ro", Instant.ofEpochSecond(3000), Instant.ofEpochSecond(4000, 1));
            fs.setTimes("dir", Instant.ofEpochSecond(3000), Instant.ofEpochSecond(5000, 2));
            fs.setTimes("abs", Instant.ofEpochSecond(3000), Instant.ofEpochSecond(6000));
            fs.chmod("", 0711);
            fs.setTimes("", Instant.ofEpochSecond(3000), Instant.ofEpochSecond(7000));
        }
        TreeCopier copier = new TreeCopier();
        copier.copy(src, dst);
        Map<String, String> expected = RootedSnapshot.describe(src, true);
        assertThat(RootedSnapshot.describe(dst, true)).isEqualTo(expected);
        assertThat(expected.get("dir/big-link")).contains("link-group=big");
        assertThat(expected.get("dir/ro/inside")).contains("mtime=1970-01-01T00:33:20.123456789Z");
        assertThat(expected.get(".")).contains("mode=711");
        assertThat(copier.lastMethod()).isNotNull();
    }

    @Test
    void symlinksInTheSourceAreCopiedNotFollowed() throws IOException {
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("secret"), "secret");
        try (RootedFs fs = source()) {
            fs.symlink("escape", outside.toString());
            fs.symlink("up", "../../..");
        }
        new TreeCopier().copy(src, dst);
        assertThat(RootedSnapshot.describe(dst, false).keySet()).containsExactly(".", "escape", "up");
        assertThat(Files.readSymbolicLink(dst.resolve("escape"))).isEqualTo(outside);
    }

    @Test
    void skipsSocketsWithoutFailing() throws IOException {
        try (RootedFs fs = source()) {
            file(fs, "f", "f", 0644);
        }
        Path sock = src.resolve("s.sock");
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(sock));
            new TreeCopier().copy(src, dst);
        }
        assertThat(RootedSnapshot.describe(dst, false).keySet()).containsExactly(".", "f");
    }

    @Test
    void copiesOwnersDevicesAndCapabilitiesAsRoot() throws IOException {
        Capabilities.requireRoot();
        byte[] cap = {1, 0, 0, 2, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        try (RootedFs fs = source()) {
            fs.mkdir("home", 0755);
            fs.chown("home", 1000, 1000);
            file(fs, "ping", "ping", 04755);
            fs.setXattr("ping", "security.capability", cap);
            fs.setXattr("ping", "trusted.x", new byte[] {7});
            file(fs, "owned", "o", 02750);
            fs.chown("owned", 1234, 4321);
            fs.chmod("owned", 02750);
            fs.mknod("null", FileType.CHAR_DEVICE, 0666, 1, 3);
            fs.chmod("null", 0666);
            fs.mknod("sda", FileType.BLOCK_DEVICE, 0660, 8, 0);
            fs.chown("sda", 0, 6);
            fs.chmod("sda", 0660);
            fs.symlink("link", "ping");
            fs.chown("link", 99, 98);
        }
        new TreeCopier().copy(src, dst);
        Map<String, String> copied = RootedSnapshot.describe(dst, true);
        assertThat(copied).isEqualTo(RootedSnapshot.describe(src, true));
        assertThat(copied.get("ping")).contains("mode=4755", "xattr:security.capability=", "xattr:trusted.x=07");
        assertThat(copied.get("owned")).contains("mode=2750", "owner=1234:4321");
        assertThat(copied.get("null")).contains("char_device", "dev=1,3");
        assertThat(copied.get("link")).contains("owner=99:98");
    }
}
