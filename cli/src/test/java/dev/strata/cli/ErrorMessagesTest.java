package dev.strata.cli;

import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 12 point 7 and 9: errors in words with the right exit code, and no library log lines in normal runs. */
class ErrorMessagesTest {
    @TempDir
    Path tmp;

    @Test
    void aMissingFileIsNoSuchFileAndExit3AndCreatesNothing() {
        Path target = tmp.resolve("target");
        CliRun apply = CliRun.of("apply", tmp.resolve("no-such-layer.tar").toString(), target.toString());
        assertThat(apply.code()).isEqualTo(3);
        assertThat(apply.err()).contains("no such file or directory: " + tmp.resolve("no-such-layer.tar"));
        assertThat(target).doesNotExist();
        CliRun diff = CliRun.of("diff", tmp.resolve("nope").toString(), tmp.toString());
        assertThat(diff.code()).isEqualTo(3);
        assertThat(diff.err()).contains("no such file or directory: " + tmp.resolve("nope"));
    }

    @Test
    void noJavaClassNameInANetworkError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        CliRun r = CliRun.of("list-tags", "docker://127.0.0.1:" + port + "/a/b");
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.err()).contains("connection refused").contains("127.0.0.1:" + port)
                .doesNotContainPattern("java\\.[a-z]+\\.[A-Z]");
    }

    @Test
    void anUnknownDriverIsAUsageError() {
        CliRun r = CliRun.of("--root", tmp.resolve("s").toString(), "--driver", "zfs", "gc");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown --driver 'zfs'").contains("vfs");
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void anotherDriverOnAStoreIsRefusedNamingTheOneItUses() throws Exception {
        Path root = tmp.resolve("s");
        assertThat(CliRun.of("--root", root.toString(), "--driver", "vfs", "gc").code()).isZero();
        Files.createDirectories(root.resolve("vfs/dir/x")); // a layer of the vfs driver
        Capabilities.requireRoot(); // overlay is offered only where it can work
        CliRun r = CliRun.of("--root", root.toString(), "--driver", "overlay", "gc");
        assertThat(r.code()).as(r.err()).isEqualTo(8);
        assertThat(r.err()).contains("'vfs' driver").contains("--driver vfs");
        assertThat(root.resolve("overlay")).doesNotExist();
    }

    @Test
    void normalRunsPrintNoLibraryLogLinesAndDebugDoes() {
        Path root = tmp.resolve("s");
        CliRun r = CliRun.of("--root", root.toString(), "--driver", "vfs", "gc");
        assertThat(r.code()).isZero();
        assertThat(r.err()).doesNotContain("INFO").doesNotContain("WARN");
    }

    @Test
    void diffInfersTheCompressionFromTheFileNameAndChecksLevels() throws Exception {
        Path lower = Files.createDirectory(tmp.resolve("lower"));
        Path upper = Files.createDirectory(tmp.resolve("upper"));
        Files.writeString(upper.resolve("f"), "x");
        for (String[] c : new String[][] {{"l.tar.zst", "zstd"}, {"l.tar", "none"}, {"l.tgz", "gzip"}}) {
            CliRun r = CliRun.of("diff", "--json", "-o", tmp.resolve(c[0]).toString(), lower.toString(),
                    upper.toString());
            assertThat(r.code()).as(r.err()).isZero();
            byte[] head = Files.readAllBytes(tmp.resolve(c[0]));
            assertThat(dev.strata.image.layer.Compression.detect(head, Math.min(4, head.length)).name())
                    .as(c[0]).isEqualToIgnoringCase(c[1]);
        }
        CliRun bad = CliRun.of("diff", "--level", "12", "-o", tmp.resolve("x.tar.gz").toString(), lower.toString(),
                upper.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--level for gzip is 1 to 9");
        assertThat(CliRun.of("diff", "--level", "19", "-o", tmp.resolve("x.tar.zst").toString(), lower.toString(),
                upper.toString()).code()).isZero();
    }
}
