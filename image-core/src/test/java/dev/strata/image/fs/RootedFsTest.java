package dev.strata.image.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.image.UnsafeLayerException;
import dev.strata.image.testing.Capabilities;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RootedFs operations and their results on disk, with both resolvers (openat2 and the component walk). */
class RootedFsTest {
    /** Which resolver a test runs with; WALK forces the fallback used on kernels without openat2. */
    enum Resolution {
        OPENAT2,
        WALK;

        RootedFs open(Path root) throws IOException {
            RootedFs fs = RootedFs.open(root, this == OPENAT2, true);
            if (this == OPENAT2) {
                Capabilities.require(fs.usesOpenat2(), "kernel without openat2 (Linux 5.6+)");
            }
            assertThat(fs.usesOpenat2()).isEqualTo(this == OPENAT2);
            return fs;
        }
    }

    @TempDir
    Path root;

    private RootedFs fs;

    @AfterEach
    void close() {
        if (fs != null) {
            fs.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void createFileWritesExactlyTheBytes(Resolution r) throws IOException {
        fs = r.open(root);
        byte[] big = new byte[(1 << 20) + 12345];
        new Random(42).nextBytes(big);
        fs.mkdirs("/usr/lib", 0755);
        try (OutputStream out = fs.createFile("/usr/lib/big.bin", 0640)) {
            out.write(big, 0, 100);
            out.write(big[100]);
            out.write(big, 101, big.length - 101);
        }
        assertThat(Files.readAllBytes(root.resolve("usr/lib/big.bin"))).isEqualTo(big);
        try (InputStream in = fs.openRead("usr/lib/big.bin")) {
            assertThat(in.readAllBytes()).isEqualTo(big);
        }
        FileStat st = fs.lstat("usr/lib/big.bin");
        assertThat(st.type()).isEqualTo(FileType.REGULAR);
        assertThat(st.size()).isEqualTo(big.length);
        assertThatThrownBy(() -> fs.createFile("usr/lib/big.bin", 0644)).isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("usr/lib/big.bin").hasMessageContaining("EEXIST");
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void directoriesAndListing(Resolution r) throws IOException {
        fs = r.open(root);
        fs.mkdir("a", 0755);
        fs.mkdirs("a/b/c/d", 0700);
        fs.mkdirs("a/b/c/d", 0700); // idempotent
        fs.symlink("a/link", "b"); // relative link to a directory: mkdirs goes through it
        fs.mkdirs("a/link/c/e", 0755);
        assertThat(Files.isDirectory(root.resolve("a/b/c/e"))).isTrue();
        assertThat(fs.list("a")).containsExactly("b", "link");
        assertThat(fs.list("a/link/c")).containsExactly("d", "e"); // final symlink followed within the root
        assertThat(fs.list("")).containsExactly("a");
        assertThat(fs.lstat("a/b").isDirectory()).isTrue();
        assertThatThrownBy(() -> fs.mkdir("a", 0755)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> fs.mkdir("/", 0755)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> fs.mkdir("x/y", 0755)).isInstanceOf(NoSuchFileException.class);
        fs.createFile("a/file", 0644).close();
        assertThatThrownBy(() -> fs.mkdirs("a/file/sub", 0755)).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errnoName()).isEqualTo("ENOTDIR"));
        assertThatThrownBy(() -> fs.list("a/file")).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOTDIR));
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void symlinksAreDataAndReadBack(Resolution r) throws IOException {
        fs = r.open(root);
        fs.symlink("abs", "/etc/shadow");
        fs.symlink("dangling", "../../nowhere");
        assertThat(fs.readlink("abs")).isEqualTo("/etc/shadow");
        assertThat(Files.readSymbolicLink(root.resolve("dangling"))).isEqualTo(Path.of("../../nowhere"));
        FileStat st = fs.lstat("abs");
        assertThat(st.type()).isEqualTo(FileType.SYMLINK);
        assertThat(st.size()).isEqualTo("/etc/shadow".length());
        assertThat(fs.exists("dangling")).isTrue();
        assertThat(fs.exists("nothing")).isFalse();
        assertThat(fs.exists("abs/x")).isFalse(); // resolves in root to a missing /etc
        assertThatThrownBy(() -> fs.symlink("abs", "x")).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> fs.openRead("abs")).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errnoName()).isEqualTo("ELOOP"));
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void hardlinksShareTheInode(Resolution r) throws IOException {
        fs = r.open(root);
        fs.mkdirs("bin", 0755);
        try (OutputStream out = fs.createFile("bin/busybox", 0755)) {
            out.write("#!".getBytes(StandardCharsets.US_ASCII));
        }
        fs.hardlink("bin/sh", "/bin/busybox");
        fs.symlink("bin/ln", "busybox");
        fs.hardlink("bin/ln2", "bin/ln"); // links the symlink itself, as tar does
        FileStat a = fs.lstat("bin/busybox");
        FileStat b = fs.lstat("bin/sh");
        assertThat(b.ino()).isEqualTo(a.ino());
        assertThat(b.dev()).isEqualTo(a.dev());
        assertThat(b.nlink()).isEqualTo(2);
        assertThat(fs.lstat("bin/ln2").type()).isEqualTo(FileType.SYMLINK);
        assertThat(fs.lstat("bin/ln2").ino()).isEqualTo(fs.lstat("bin/ln").ino());
        assertThatThrownBy(() -> fs.hardlink("bin/x", "bin/missing")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> fs.hardlink("bin/x", "bin")).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errnoName()).isEqualTo("EPERM")); // no hard links to directories
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void fifoAndDevices(Resolution r) throws IOException {
        fs = r.open(root);
        fs.mknod("fifo", FileType.FIFO, 0600, 0, 0);
        assertThat(fs.lstat("fifo").type()).isEqualTo(FileType.FIFO);
        assertThatThrownBy(() -> fs.openRead("fifo")).isInstanceOf(RootedFsException.class); // never blocks
        assertThatThrownBy(() -> fs.mknod("f", FileType.REGULAR, 0644, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        Capabilities.require(Capabilities.isRoot(), "creating device nodes needs root (CAP_MKNOD)");
        fs.mknod("null", FileType.CHAR_DEVICE, 0666, 1, 3);
        fs.mknod("blk", FileType.BLOCK_DEVICE, 0600, 259, 70000);
        FileStat c = fs.lstat("null");
        assertThat(c.type()).isEqualTo(FileType.CHAR_DEVICE);
        assertThat(c.rdevMajor()).isEqualTo(1);
        assertThat(c.rdevMinor()).isEqualTo(3);
        FileStat b = fs.lstat("blk");
        assertThat(b.type()).isEqualTo(FileType.BLOCK_DEVICE);
        assertThat(b.rdevMajor()).isEqualTo(259);
        assertThat(b.rdevMinor()).isEqualTo(70000);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void chmodSetsSpecialBitsAndRefusesSymlinks(boolean fchmodat2) throws IOException {
        fs = RootedFs.open(root, true, fchmodat2);
        if (!fchmodat2) {
            assertThat(fs.usesFchmodat2()).isFalse();
        }
        fs.createFile("suid", 0600).close();
        fs.mkdir("tmp", 0700);
        fs.symlink("link", "suid");
        fs.chmod("suid", 04755);
        fs.chmod("tmp", 01777); // not filtered by the umask
        fs.chmod("/", 0711);
        assertThat(fs.lstat("suid").mode()).isEqualTo(04755);
        assertThat(fs.lstat("tmp").mode()).isEqualTo(01777);
        assertThat(fs.lstat("").mode()).isEqualTo(0711);
        assertThat(Files.getPosixFilePermissions(root.resolve("tmp")))
                .isEqualTo(PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> fs.chmod("link", 0777)).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errnoName()).isEqualTo("EOPNOTSUPP"));
        assertThat(fs.lstat("suid").mode()).isEqualTo(04755);
        assertThatThrownBy(() -> fs.chmod("missing", 0777)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void fchmodat2IsUsedWhereTheKernelHasIt() throws IOException {
        fs = RootedFs.open(root);
        // Linux 6.6+; the test machines run newer kernels, so the preferred path is what gets exercised.
        Capabilities.require(fs.usesFchmodat2(), "kernel without fchmodat2 (Linux 6.6+)");
        assertThat(fs.usesOpenat2()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void chownActsOnTheLinkItself(Resolution r) throws IOException {
        Capabilities.require(Capabilities.isRoot(), "chown to other users needs root");
        fs = r.open(root);
        fs.createFile("f", 0644).close();
        fs.symlink("l", "f");
        fs.chown("l", 1234, 5678);
        fs.chown("f", 42, -1);
        assertThat(fs.lstat("l").uid()).isEqualTo(1234);
        assertThat(fs.lstat("l").gid()).isEqualTo(5678);
        assertThat(fs.lstat("f").uid()).isEqualTo(42);
        assertThat(fs.lstat("f").gid()).isEqualTo(0);
        fs.chown("", 7, 7);
        assertThat(fs.lstat("/").uid()).isEqualTo(7);
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void timesWithNanosecondsOnFilesAndLinks(Resolution r) throws IOException {
        fs = r.open(root);
        fs.createFile("f", 0644).close();
        fs.symlink("l", "f");
        Instant a = Instant.parse("2020-01-02T03:04:05.123456789Z");
        Instant m = Instant.parse("1999-12-31T23:59:59.000000001Z");
        fs.setTimes("f", a, m);
        fs.setTimes("l", Instant.EPOCH, Instant.ofEpochSecond(86400, 7));
        assertThat(fs.lstat("f").atime()).isEqualTo(a);
        assertThat(fs.lstat("f").mtime()).isEqualTo(m);
        assertThat(fs.lstat("l").mtime()).isEqualTo(Instant.ofEpochSecond(86400, 7));
        fs.setTimes("f", null, Instant.ofEpochSecond(5));
        assertThat(fs.lstat("f").atime()).isEqualTo(a); // null keeps it
        assertThat(fs.lstat("f").mtime()).isEqualTo(Instant.ofEpochSecond(5));
        fs.setTimes("", null, Instant.ofEpochSecond(6));
        assertThat(Files.getLastModifiedTime(root).toInstant()).isEqualTo(Instant.ofEpochSecond(6));
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void xattrs(Resolution r) throws IOException {
        fs = r.open(root);
        fs.mkdirs("d", 0755);
        fs.createFile("d/f", 0644).close();
        fs.setXattr("d/f", "user.b", new byte[] {1, 2, 3});
        fs.setXattr("d/f", "user.a", new byte[0]);
        assertThat(fs.listXattrs("d/f")).containsExactly("user.a", "user.b");
        assertThat(fs.getXattr("d/f", "user.b")).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2, 3));
        assertThat(fs.getXattr("d/f", "user.a")).hasValueSatisfying(v -> assertThat(v).isEmpty());
        assertThat(fs.getXattr("d/f", "user.none")).isEmpty();
        fs.removeXattr("d/f", "user.b");
        assertThat(fs.listXattrs("d/f")).containsExactly("user.a");
        assertThatThrownBy(() -> fs.removeXattr("d/f", "user.b")).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errnoName()).isEqualTo("ENODATA"));
        fs.setXattr("/", "user.root", "r".getBytes(StandardCharsets.US_ASCII));
        assertThat(fs.getXattr("", "user.root")).isPresent();
        byte[] big = new byte[2000]; // ext4 keeps all xattrs of an inode within one block
        new Random(1).nextBytes(big);
        fs.setXattr("d", "user.big", big);
        assertThat(fs.getXattr("d", "user.big")).hasValueSatisfying(v -> assertThat(v).isEqualTo(big));
        Capabilities.require(Capabilities.isRoot(), "trusted.* xattrs (the only ones symlinks take) need root");
        fs.symlink("d/l", "f");
        fs.setXattr("d/l", "trusted.on-link", new byte[] {9});
        assertThat(fs.listXattrs("d/l")).contains("trusted.on-link");
        assertThat(fs.listXattrs("d/f")).doesNotContain("trusted.on-link");
    }

    @ParameterizedTest
    @EnumSource(Resolution.class)
    void removeAndRename(Resolution r) throws IOException {
        fs = r.open(root);
        fs.mkdirs("a/b/c", 0755);
        for (int i = 0; i < 50; i++) {
            fs.createFile("a/b/c/f" + i, 0644).close();
        }
        fs.symlink("a/b/l", "/a");
        fs.mknod("a/fifo", FileType.FIFO, 0644, 0, 0);
        fs.createFile("x", 0644).close();
        fs.rename("x", "a/y");
        assertThat(fs.exists("x")).isFalse();
        assertThat(fs.exists("a/y")).isTrue();
        fs.unlink("a/y");
        assertThatThrownBy(() -> fs.unlink("a/b")).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errnoName()).isEqualTo("EISDIR"));
        assertThatThrownBy(() -> fs.rmdir("a/b")).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errnoName()).isEqualTo("ENOTEMPTY"));
        fs.removeAll("a");
        assertThat(fs.list("")).isEmpty();
        fs.removeAll("a"); // missing is fine
        fs.removeAll("missing/parent/x");
        fs.mkdir("e", 0755);
        fs.rmdir("e");
        assertThat(Files.exists(root.resolve("e"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @ParameterizedTest(name = "[{index}] ''{0}''")
    @ValueSource(strings = {"", "/", ".", "..", "./", "../..", "a/.."})
    void theRootNeverChangesType(String rootName) throws IOException {
        fs = RootedFs.open(root);
        fs.mkdir("a", 0755);
        List<Executable> refused = List.of(
                () -> fs.unlink(rootName),
                () -> fs.rmdir(rootName),
                () -> fs.removeAll(rootName),
                () -> fs.rename(rootName, "b"),
                () -> fs.rename("a", rootName),
                () -> fs.createFile(rootName, 0644),
                () -> fs.symlink(rootName, "/x"),
                () -> fs.hardlink(rootName, "a"),
                () -> fs.hardlink("c", rootName),
                () -> fs.mknod(rootName, FileType.FIFO, 0644, 0, 0));
        for (Executable op : refused) {
            assertThatThrownBy(op::execute).isInstanceOf(UnsafeLayerException.class).hasMessageContaining("root");
        }
        assertThat(Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(fs.list(rootName)).containsExactly("a");
    }

    @Test
    void closedFsRefusesWork() throws IOException {
        RootedFs closed = RootedFs.open(root);
        closed.close();
        closed.close();
        assertThatThrownBy(() -> closed.mkdir("a", 0755)).isInstanceOf(java.nio.file.ClosedFileSystemException.class);
    }

    @Test
    void openFailsOnAMissingRoot() {
        assertThatThrownBy(() -> RootedFs.open(root.resolve("missing"))).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("missing");
    }

    /** Not a benchmark: shows the per-file cost of create+write+close stays small (printed to the test log). */
    @ParameterizedTest
    @EnumSource(Resolution.class)
    void manySmallFiles(Resolution r) throws IOException {
        fs = r.open(root);
        byte[] data = "small file content\n".getBytes(StandardCharsets.US_ASCII);
        long t0 = System.nanoTime();
        for (int d = 0; d < 100; d++) {
            fs.mkdirs("usr/share/d" + d, 0755);
        }
        for (int i = 0; i < 10_000; i++) {
            try (OutputStream out = fs.createFile("usr/share/d" + (i % 100) + "/f" + i, 0644)) {
                out.write(data);
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("10,000 small files with " + r + ": " + ms + " ms");
        assertThat(fs.list("usr/share/d7")).hasSize(100);
        assertThat(Files.readAllBytes(root.resolve("usr/share/d7/f9907"))).isEqualTo(data);
    }
}
