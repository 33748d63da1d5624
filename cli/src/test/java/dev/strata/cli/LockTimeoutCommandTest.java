package dev.strata.cli;

import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Issue 17 point 3 from the command line: {@code --lock-timeout} bounds the wait for a held store lock (exit 8). */
class LockTimeoutCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aHeldStoreLockFailsTheCommandWithExit8AndTheHoldersPid() throws Exception {
        Capabilities.requireTool("flock");
        String root = tmp.resolve("store").toString();
        assertThat(CliRun.of("--root", root, "--driver", "vfs", "gc").code()).isZero(); // creates the store
        Process holder = new ProcessBuilder("flock", "-o", "-s", root + "/store.lock", "-c",
                "echo locked; exec sleep 60").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> CliRun.of("--root", root, "--lock-timeout", "0.5", "rm", "nothing"));
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.PRECONDITION);
            assertThat(r.err()).contains("store.lock").contains("pid " + holder.pid());
        } finally {
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aLockTimeoutThatIsNotANumberOfSecondsIsAUsageError() {
        CliRun r = CliRun.of("--root", tmp.resolve("store").toString(), "--lock-timeout", "soon", "gc");
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--lock-timeout").contains("soon");
    }
}
