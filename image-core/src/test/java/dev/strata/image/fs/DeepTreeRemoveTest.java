package dev.strata.image.fs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Removing very deep trees (issue 17 point 11): an 18,000-level chain, far beyond PATH_MAX, with files, 0555
 * directories and symlinks to a sentinel outside at its levels, is removed completely and nothing outside is touched
 * (the 60 s bound is a hang guard only; the figures before and after are in the commit message).
 */
class DeepTreeRemoveTest {
    static final int LEVELS = 18_000;

    @TempDir
    Path tmp;

    /** Builds {@code deep/d/d/...} ({@code levels} directories below {@code deep}) fd by fd, decorated now and then. */
    static void buildChain(Path root, int levels, Path sentinel) throws IOException {
        Files.createDirectories(root.resolve("deep"));
        var libc = Native.libc();
        int flags = Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC;
        int fd = libc.openat(-100, Native.cstr(root.resolve("deep").toString()), flags, 0);
        assertThat(fd).isNotNegative();
        try {
            for (int i = 0; i < levels; i++) {
                if (i % 1000 == 0) {
                    int f = libc.openat(fd, Native.cstr("file"), Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL
                            | Native.O_CLOEXEC, 0644);
                    assertThat(f).isNotNegative();
                    Native.closeQuietly(f);
                    assertThat(libc.symlinkat(Native.cstr(sentinel.toString()), fd, Native.cstr("out")))
                            .isZero();
                }
                assertThat(libc.mkdirat(fd, Native.cstr("d"), i % 3000 == 1 ? 0555 : 0755)).isZero();
                int next = libc.openat(fd, Native.cstr("d"), flags, 0);
                assertThat(next).isNotNegative();
                Native.closeQuietly(fd);
                fd = next;
            }
            assertThat(libc.mkdirat(fd, Native.cstr("bottom"), 0700)).isZero();
        } finally {
            Native.closeQuietly(fd);
        }
    }

    @Test
    void eighteenThousandLevelTreeIsRemovedWithoutRewalkingParkedLevels() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path sentinel = Files.writeString(outside.resolve("sentinel"), "keep");
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.writeString(root.resolve("sibling"), "stays");
        buildChain(root, LEVELS, sentinel);

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (RootedFs fs = RootedFs.open(root)) {
                fs.removeAll("deep");
            }
        });

        assertThat(Files.exists(root.resolve("deep"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        try (var s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("sibling");
        }
        assertThat(Files.readString(sentinel)).isEqualTo("keep");
        try (var s = Files.list(outside)) {
            assertThat(s.count()).isEqualTo(1);
        }
    }
}
