package dev.strata.image.store;

import dev.strata.image.ErrorKind;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 17 point 3: the store is its owner's alone (root 0700, store.lock 0600, looser modes tightened on open), and
 * a store lock held by someone else makes the open fail within its bound, naming the holder, instead of waiting for
 * ever. The holders are other processes: {@code flock(1)}, as root and as the unprivileged user nobody.
 */
class StoreLockAttackTest {
    private static final Duration BOUND = Duration.ofSeconds(2);
    @TempDir
    Path tmp;
    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killChildren() throws InterruptedException {
        for (Process p : children) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aNewStoreIsOwnerOnly() throws Exception {
        Path root = tmp.resolve("store");
        TestStores.openPlain(root).close();
        assertThat(stat(root)).isEqualTo("700");
        assertThat(stat(root.resolve("store.lock"))).isEqualTo("600");
    }

    @Test
    void anExistingWorldReadableStoreIsTightenedOnOpen() throws Exception {
        Path root = tmp.resolve("store");
        TestStores.openPlain(root).close();
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(root.resolve("store.lock"), PosixFilePermissions.fromString("rw-r--r--"));
        TestStores.openPlain(root).close();
        assertThat(stat(root)).isEqualTo("700");
        assertThat(stat(root.resolve("store.lock"))).isEqualTo("600");
    }

    @Test
    void anotherUsersStoreKeepsItsModes() throws Exception {
        Capabilities.requireRoot();
        Path root = tmp.resolve("store");
        TestStores.openPlain(root).close();
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-x---"));
        Files.setAttribute(root, "unix:uid", 65534);
        TestStores.openPlain(root).close();
        assertThat(stat(root)).isEqualTo("750");
    }

    @Test
    void aLockHeldByAnotherProcessFailsTheOpenWithinTheBoundNamingItsPid() throws Exception {
        Capabilities.requireTool("flock");
        Path root = tmp.resolve("store");
        TestStores.openPlain(root).close();
        Process holder = holdShared(List.of(), root.resolve("store.lock"));
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> openBounded(root))
                .isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("store.lock")
                .hasMessageContaining("pid " + holder.pid())
                .satisfies(e -> assertThat(((FailedPreconditionException) e).kind())
                        .isEqualTo(ErrorKind.FAILED_PRECONDITION)));
        holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        openBounded(root).close(); // free again: the open goes through
    }

    /**
     * The attack itself: an old store (0755, lock 0644) where the unprivileged user nobody holds a shared lock. Root's
     * open tightens the modes, fails within the bound naming nobody's flock, and once that process is gone nobody
     * cannot even open the lock file.
     */
    @Test
    void anUnprivilegedUsersSharedLockOnALegacyStoreIsReportedAndThenShutOut() throws Exception {
        Capabilities.requireRoot();
        Capabilities.requireTool("flock");
        Capabilities.requireTool("setpriv");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path root = tmp.resolve("store");
        TestStores.openPlain(root).close();
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path lock = root.resolve("store.lock");
        Files.setPosixFilePermissions(lock, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> asNobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
        Process holder = holdShared(asNobody, lock);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> openBounded(root))
                .isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("pid " + holder.pid() + " (uid 65534"));
        holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        openBounded(root).close();
        assertThat(stat(root)).isEqualTo("700");
        assertThat(stat(lock)).isEqualTo("600");
        List<String> again = new ArrayList<>(asNobody);
        again.addAll(List.of("flock", "-n", "-s", lock.toString(), "true"));
        Process denied = new ProcessBuilder(again).redirectErrorStream(true).start();
        assertThat(denied.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(denied.exitValue()).as("nobody opening the lock of a tightened store").isNotZero();
    }

    private static Store openBounded(Path root) throws IOException {
        return Store.open(root, StoreOptions.defaults().withLockTimeout(BOUND), List.of(
                dev.strata.image.testing.PlainDirDriver.PROVIDER));
    }

    /**
     * Starts {@code flock -o -s LOCK} (after {@code prefix}; -o: its child does not inherit the lock) and returns
     * once it holds the lock.
     */
    private Process holdShared(List<String> prefix, Path lock) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of("flock", "-o", "-s", lock.toString(), "-c", "echo locked; exec sleep 120"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        children.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("flock's output").isEqualTo("locked");
        return p;
    }

    private static String stat(Path p) throws Exception {
        Process s = new ProcessBuilder("stat", "-c", "%a", p.toString()).start();
        String mode = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(s.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return mode;
    }
}
