package dev.strata.image.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jnr-ffi bindings: struct layouts (statx, dirent64), direct-buffer positions and NULL out-buffers. */
class LinuxLibcTest {
    @TempDir
    Path dir;

    @Test
    void statxLayoutAgreesWithTheJdk() throws Exception {
        Path f = dir.resolve("f");
        Files.writeString(f, "hello world");
        Files.setLastModifiedTime(f, FileTime.from(java.time.Instant.parse("2001-02-03T04:05:06.123456789Z")));
        Files.createLink(dir.resolve("g"), f);
        int dirfd = Native.libc().openat(Native.AT_FDCWD, Native.cstr(dir.toString()),
                Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        assertThat(dirfd).isGreaterThanOrEqualTo(0);
        try {
            FileStat st = Statx.lstat(dirfd, Native.cstr("f"), "lstat", "f");
            Map<String, Object> jdk = Files.readAttributes(f, "unix:*", LinkOption.NOFOLLOW_LINKS);
            assertThat(st.type()).isEqualTo(FileType.REGULAR);
            assertThat(st.size()).isEqualTo(11);
            assertThat(st.ino()).isEqualTo(jdk.get("ino"));
            assertThat(st.dev()).isEqualTo(jdk.get("dev"));
            assertThat(st.nlink()).isEqualTo(2L).isEqualTo(((Integer) jdk.get("nlink")).longValue());
            assertThat(st.uid()).isEqualTo(jdk.get("uid"));
            assertThat(st.gid()).isEqualTo(jdk.get("gid"));
            assertThat(st.mode()).isEqualTo((Integer) jdk.get("mode") & 07777);
            assertThat(st.mtime()).isEqualTo(java.time.Instant.parse("2001-02-03T04:05:06.123456789Z"));
            assertThat(st.ctime()).isEqualTo(((FileTime) jdk.get("ctime")).toInstant());
        } finally {
            Native.closeQuietly(dirfd);
        }
    }

    @Test
    void writeStartsAtTheBufferPosition() throws Exception {
        Path f = dir.resolve("w");
        int fd = Native.libc().openat(Native.AT_FDCWD, Native.cstr(f.toString()),
                Native.O_WRONLY | Native.O_CREAT | Native.O_CLOEXEC, 0644);
        ByteBuffer b = ByteBuffer.allocateDirect(16);
        b.put("0123456789".getBytes(StandardCharsets.US_ASCII)).flip().position(4);
        long n = Native.libc().write(fd, b, b.remaining());
        Native.closeQuietly(fd);
        assertThat(n).isEqualTo(6);
        assertThat(Files.readString(f)).isEqualTo("456789");
    }

    @Test
    void xattrSizeQueryWithNullBuffer() throws Exception {
        Path f = dir.resolve("x");
        Files.writeString(f, "");
        byte[] path = Native.cstr(f.toString());
        assertThat(Native.libc().lsetxattr(path, Native.cstr("user.k"), new byte[] {1, 2, 3}, 3, 0)).isZero();
        assertThat(Native.libc().lgetxattr(path, Native.cstr("user.k"), null, 0)).isEqualTo(3);
        assertThat(Native.libc().lgetxattr(path, Native.cstr("user.none"), null, 0)).isEqualTo(-1);
        assertThat(Native.errno()).isEqualTo(Errno.ENODATA);
        assertThat(Errno.name(Native.errno())).isEqualTo("ENODATA");
    }

    @Test
    void getdentsListsEveryName() throws Exception {
        for (int i = 0; i < 3000; i++) { // more than one 32 KiB getdents buffer
            Files.createFile(dir.resolve("name-with-some-length-" + i));
        }
        Files.createFile(dir.resolve("ünïcødé"));
        int fd = Native.libc().openat(Native.AT_FDCWD, Native.cstr(dir.toString()),
                Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        try {
            assertThat(Dirents.read(fd, ".")).hasSize(3001).contains("ünïcødé", "name-with-some-length-2999")
                    .doesNotContain(".", "..");
        } finally {
            Native.closeQuietly(fd);
        }
    }

    @Test
    void makedevMatchesTheKernelEncoding() throws Exception {
        assertThat(Native.makedev(1, 3)).isEqualTo(0x103L);         // /dev/null
        assertThat(Native.makedev(259, 65536)).isEqualTo(0x10010300L); // minor bits above 8 go to 20+
        Map<String, Object> jdk = Files.readAttributes(Path.of("/dev/null"), "unix:rdev");
        assertThat(jdk.get("rdev")).isEqualTo(Native.makedev(1, 3));
    }
}
