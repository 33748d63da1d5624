package dev.strata.image.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fd-to-fd copy: the chosen fast path and the read/write fallback give identical bytes. */
class FileCopierTest {
    @TempDir
    Path dir;

    @Test
    void fastPathAndFallbackCopyEveryByte() throws Exception {
        byte[] data = new byte[(5 << 20) + 3];
        new Random(3).nextBytes(data);
        Files.write(dir.resolve("in"), data);
        for (String name : new String[] {"fast", "slow"}) {
            int in = open("in", Native.O_RDONLY, 0);
            int out = open(name, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL, 0644);
            try {
                long n = name.equals("fast") ? FileCopier.copy(in, out, name) : FileCopier.readWrite(in, out, name);
                assertThat(n).isEqualTo(data.length);
            } finally {
                Native.closeQuietly(in);
                Native.closeQuietly(out);
            }
            assertThat(Files.readAllBytes(dir.resolve(name))).isEqualTo(data);
        }
    }

    private int open(String name, int flags, int mode) {
        int fd = Native.libc().openat(Native.AT_FDCWD, Native.cstr(dir.resolve(name).toString()),
                flags | Native.O_CLOEXEC, mode);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        return fd;
    }
}
