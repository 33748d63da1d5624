package dev.strata.image.fs;

import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.RootedSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Exact tree copies: types, modes, owners, times, xattrs, hard links, holes, deep trees, and no escape through
 * symlinks; the main cases both with and without the content thread.
 */
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

    @ParameterizedTest(name = "content thread: {0}")
    @ValueSource(booleans = {true, false})
    void copiesEveryUnprivilegedKindExactly(boolean contentThread) throws IOException {
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
        TreeCopier copier = new TreeCopier(contentThread);
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

    @ParameterizedTest(name = "content thread: {0}")
    @ValueSource(booleans = {true, false})
    void copiesOwnersDevicesAndCapabilitiesAsRoot(boolean contentThread) throws IOException {
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
            fs.setXattr("link", "trusted.on-symlink", new byte[] {9});
            fs.setXattr("home", "trusted.on-dir", new byte[] {8});
            file(fs, "home/su", "su", 0600);
            fs.chown("home/su", 1000, 1000); // a setuid file of another user: the chown must not drop the bits
            fs.chmod("home/su", 06755);
            fs.setXattr("home/su", "security.capability", cap);
            fs.mknod("home/fifo", FileType.FIFO, 0600, 0, 0);
            fs.chown("home/fifo", 1000, 1000);
            fs.chmod("home/fifo", 0620);
            fs.hardlink("home/null-link", "null"); // a hard-linked device node
        }
        new TreeCopier(contentThread).copy(src, dst);
        Map<String, String> copied = RootedSnapshot.describe(dst, true);
        assertThat(copied).isEqualTo(RootedSnapshot.describe(src, true));
        assertThat(copied.get("ping")).contains("mode=4755", "xattr:security.capability=", "xattr:trusted.x=07");
        assertThat(copied.get("owned")).contains("mode=2750", "owner=1234:4321");
        assertThat(copied.get("null")).contains("char_device", "dev=1,3");
        assertThat(copied.get("link")).contains("owner=99:98", "xattr:trusted.on-symlink=09");
        assertThat(copied.get("home")).contains("owner=1000:1000", "xattr:trusted.on-dir=08");
        assertThat(copied.get("home/su")).contains("mode=6755", "owner=1000:1000", "xattr:security.capability=");
        assertThat(copied.get("home/fifo")).contains("fifo mode=620 owner=1000:1000");
        assertThat(copied.get("home/null-link")).contains("link-group=");
    }

    @ParameterizedTest(name = "content thread: {0}")
    @ValueSource(booleans = {true, false})
    void hardLinksAcrossDirectoriesAndDepthsStayLinked(boolean contentThread) throws IOException {
        String deep = "deep" + "/d".repeat(TreeCopier.KEEP_OPEN * 2);
        try (RootedFs fs = source()) {
            fs.mkdirs(deep, 0755);
            fs.mkdir("a", 0755);
            fs.mkdir("z", 0555 | 0200);
            file(fs, "a/first", "shared", 0640);
            fs.hardlink("z/second", "a/first");
            fs.hardlink(deep + "/third", "a/first");
            file(fs, deep + "/deep-first", "deep", 0600);
            fs.hardlink("a/from-deep", deep + "/deep-first");
            fs.hardlink("z/from-deep", deep + "/deep-first");
            fs.symlink("a/sym", "first");
            fs.hardlink("z/sym-link", "a/sym"); // a hard link to a symlink, not to its target
            fs.chmod("z", 0555);
        }
        new TreeCopier(contentThread).copy(src, dst);
        Map<String, String> copied = RootedSnapshot.describe(dst, true);
        assertThat(copied).isEqualTo(RootedSnapshot.describe(src, true));
        assertThat(Files.getAttribute(dst.resolve("a/first"), "unix:ino"))
                .isEqualTo(Files.getAttribute(dst.resolve("z/second"), "unix:ino"))
                .isEqualTo(Files.getAttribute(dst.resolve(deep + "/third"), "unix:ino"));
        assertThat(Files.getAttribute(dst.resolve("z/sym-link"), "unix:nlink", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(2);
        assertThat(copied.get(deep + "/deep-first")).contains("link-group=");
    }

    @ParameterizedTest(name = "content thread: {0}")
    @ValueSource(booleans = {true, false})
    void treesDeeperThanTheOpenDirectoryLimitKeepEveryEntryAndDirectoryTime(boolean contentThread) throws IOException {
        int depth = TreeCopier.KEEP_OPEN * 3 + 5;
        try (RootedFs fs = source()) {
            String dir = "";
            for (int i = 0; i < depth; i++) {
                dir = dir.isEmpty() ? "l" + i : dir + "/l" + i;
                fs.mkdir(dir, 0755);
            }
            // Files on every level, so the walk comes back to directories whose fds it had closed.
            for (String d = dir; !d.isEmpty(); d = d.contains("/") ? d.substring(0, d.lastIndexOf('/')) : "") {
                for (int j = 0; j < 3; j++) {
                    file(fs, d + "/f" + j, d + j, 0644);
                }
                fs.setTimes(d, Instant.ofEpochSecond(1000), Instant.ofEpochSecond(2000 + d.length()));
            }
        }
        new TreeCopier(contentThread).copy(src, dst);
        Map<String, String> copied = RootedSnapshot.describe(dst, true);
        assertThat(copied).hasSize(1 + depth * 4).isEqualTo(RootedSnapshot.describe(src, true));
    }

    @Test
    void closedDirectoriesAndDanglingSymlinksAsRoot() throws IOException {
        Capabilities.requireRoot();
        try (RootedFs fs = source()) {
            fs.mkdir("locked", 0700);
            fs.mkdir("locked/inner", 0700);
            file(fs, "locked/inner/f", "f", 0000);
            fs.symlink("locked/dangling", "/no/such/target");
            fs.symlink("locked/relative", "../../missing");
            fs.chmod("locked/inner", 0000);
            fs.chmod("locked", 0000);
            fs.setTimes("locked", Instant.ofEpochSecond(1), Instant.ofEpochSecond(2));
        }
        new TreeCopier().copy(src, dst);
        Map<String, String> copied = RootedSnapshot.describe(dst, true);
        assertThat(copied).isEqualTo(RootedSnapshot.describe(src, true));
        assertThat(copied.get("locked")).contains("mode=0 ", "mtime=1970-01-01T00:00:02Z");
        assertThat(copied.get("locked/dangling")).contains("target=/no/such/target");
        assertThat(copied.get("locked/inner/f")).contains("mode=0 ", "size=1");
    }

    @ParameterizedTest(name = "content thread: {0}")
    @ValueSource(booleans = {true, false})
    void sparseFilesKeepTheirHoles(boolean contentThread) throws Exception {
        try (RootedFs fs = source()) {
            file(fs, "empty-but-long", "", 0644);
            file(fs, "holes", "", 0644);
        }
        try (var ch = java.nio.channels.FileChannel.open(src.resolve("holes"), StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap("start".getBytes(StandardCharsets.US_ASCII)), 0);
            ch.write(java.nio.ByteBuffer.wrap("middle".getBytes(StandardCharsets.US_ASCII)), 8L << 20);
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), (32L << 20) - 1);
        }
        try (var ch = java.nio.channels.FileChannel.open(src.resolve("empty-but-long"), StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), (16L << 20) - 1);
        }
        Capabilities.require(blocks(src.resolve("holes")) * 512 < (1L << 20),
                "the file system of the temp dir keeps no holes");
        new TreeCopier(contentThread).copy(src, dst);
        assertThat(RootedSnapshot.describe(dst, true)).isEqualTo(RootedSnapshot.describe(src, true));
        assertThat(Files.size(dst.resolve("holes"))).isEqualTo(32L << 20);
        assertThat(blocks(dst.resolve("holes")) * 512).isLessThan(1L << 20);
        assertThat(blocks(dst.resolve("empty-but-long")) * 512).isLessThan(1L << 20);
    }

    @Test
    void namesAndSymlinkTargetsThatAreNotUtf8AreCopiedByteForByte() throws IOException {
        byte[] name = {'n', (byte) 0xff, (byte) 0xfe, 0};
        byte[] target = {'t', (byte) 0xc3, '/', (byte) 0x80, 0};
        try (RootedFs fs = source()) {
            assertThat(Native.libc().mkdirat(fs.rootFd(), name, 0755)).isZero();
            assertThat(Native.libc().symlinkat(target, fs.rootFd(), new byte[] {'l', (byte) 0xff, 0})).isZero();
        }
        new TreeCopier().copy(src, dst);
        try (RootedFs out = RootedFs.open(dst)) {
            int fd = Native.libc().openat(out.rootFd(), name, Native.O_PATH | Native.O_DIRECTORY, 0);
            assertThat(fd).as("the directory under its original bytes").isGreaterThanOrEqualTo(0);
            Native.closeQuietly(fd);
            byte[] buf = new byte[64];
            long n = Native.libc().readlinkat(out.rootFd(), new byte[] {'l', (byte) 0xff, 0}, buf, buf.length);
            assertThat(java.util.Arrays.copyOf(buf, (int) Math.max(n, 0)))
                    .isEqualTo(java.util.Arrays.copyOf(target, target.length - 1));
        }
    }

    @ParameterizedTest(name = "content thread: {0}")
    @ValueSource(booleans = {true, false})
    void aFailedFileCopyIsThrownAndLeavesNoFdOpen(boolean contentThread) throws Exception {
        Capabilities.requireRoot(); // mounts a small tmpfs so that a copy runs out of space
        try (RootedFs fs = source()) {
            for (int i = 0; i < 500; i++) { // several batches of files in flight when the copy fails
                file(fs, "f" + i, "x".repeat(100), 0644);
            }
            file(fs, "zz-big", "y".repeat(4 << 20), 0644);
        }
        assertThat(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dst.toString())
                .inheritIO().start().waitFor()).isZero();
        try {
            long fdsBefore = openFds();
            assertThatThrownBy(() -> new TreeCopier(contentThread).copy(src, dst))
                    .isInstanceOf(RootedFsException.class).hasMessageContaining("ENOSPC").hasMessageContaining("zz-big");
            assertThat(openFds()).isEqualTo(fdsBefore);
        } finally {
            new ProcessBuilder("umount", dst.toString()).inheritIO().start().waitFor();
        }
    }

    private static long openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static long blocks(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(p.waitFor()).isZero();
        return Long.parseLong(out);
    }
}
