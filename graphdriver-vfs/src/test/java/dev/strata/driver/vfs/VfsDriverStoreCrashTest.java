package dev.strata.driver.vfs;

import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
import dev.strata.image.store.LayerRecord;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.testing.RootedSnapshot;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crash safety of layer registration on the vfs driver: a child JVM registering a large layer is killed with SIGKILL
 * at seeded random moments; after every kill the store opens, holds no incomplete layer and no orphaned driver
 * directory, every remaining layer still has its exact content and DiffID, and registering again succeeds.
 */
class VfsDriverStoreCrashTest {
    private static final int TRIALS = 20;
    private static final StoreOptions VFS = StoreOptions.defaults().withDriver("vfs");

    @TempDir
    Path tmp;

    @Test
    void killedRegistrationsLeaveAStoreThatOpensAndWorks() throws Exception {
        Path root = tmp.resolve("store");
        byte[] baseTar = tar(new Random(1), 100, "base");
        byte[] bigTar = tar(new Random(2), 800, "big");
        Path bigBlob = tmp.resolve("big.tar.gz");
        Files.write(bigBlob, TestImages.gzip(bigTar));
        Digest baseId = Digest.sha256(baseTar);
        Digest bigId = Digest.sha256(bigTar);
        Digest bigChain = ChainId.next(baseId, bigId);

        Map<String, String> baseExpected;
        Map<String, String> bigExpected;
        try (Store store = Store.open(root, VFS)) {
            store.layers().register(new ByteArrayInputStream(TestImages.gzip(baseTar)), null, baseId);
            baseExpected = content(store, baseId);
        }
        // calibration: one complete run in a child tells how long a registration takes on this machine
        long start = System.nanoTime();
        Process calibration = startChild(root, bigBlob, baseId, bigId);
        long registerMillis = awaitRegistering(calibration);
        assertThat(calibration.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(calibration.exitValue()).as("calibration child exit").isZero();
        registerMillis = Math.max(50, (System.nanoTime() - start) / 1_000_000 - registerMillis);
        try (Store store = Store.open(root, VFS)) {
            bigExpected = content(store, bigChain);
            assertThat(store.layers().remove(bigChain)).isTrue();
        }

        Random random = new Random(42);
        int interrupted = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            Process child = startChild(root, bigBlob, baseId, bigId);
            awaitRegistering(child);
            Thread.sleep(random.nextInt((int) Math.min(registerMillis + 100, 3000)));
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            try (Store store = Store.open(root, VFS)) {
                List<LayerRecord> records = store.layers().list();
                assertThat(records).as("trial %d", trial).noneMatch(LayerRecord::incomplete);
                Set<String> owned = new HashSet<>();
                records.forEach(r -> owned.add(r.driverId()));
                assertThat(new HashSet<>(store.driver().layers())).as("trial %d: no orphans", trial)
                        .isEqualTo(owned);
                assertThat(content(store, baseId)).isEqualTo(baseExpected);
                boolean survived = store.layers().get(bigChain).isPresent();
                if (survived) {
                    assertThat(content(store, bigChain)).as("trial %d", trial).isEqualTo(bigExpected);
                } else {
                    interrupted++;
                    try (var in = Files.newInputStream(bigBlob)) {
                        assertThat(store.layers().register(in, baseId, bigId).diffId()).isEqualTo(bigId);
                    }
                    assertThat(content(store, bigChain)).isEqualTo(bigExpected);
                }
                for (LayerRecord r : store.layers().list()) {
                    assertThat(r.diffId()).isIn(baseId, bigId);
                    assertThat(r.chainId()).isIn(baseId, bigChain);
                }
                store.layers().remove(bigChain); // next trial starts from the base alone
            }
        }
        org.slf4j.LoggerFactory.getLogger(getClass()).info("{} of {} kills interrupted a registration", interrupted, TRIALS);
        assertThat(interrupted).as("kills that landed inside a registration").isGreaterThan(TRIALS / 4);
    }

    /** The layer's tree (no directory mtimes: a layer's own root dir is not in its tar). */
    private static Map<String, String> content(Store store, Digest chainId) throws IOException {
        Path dir = store.layers().mount(chainId);
        try {
            Map<String, String> d = RootedSnapshot.describe(dir, false);
            d.remove(".");
            return d;
        } finally {
            store.layers().unmount(chainId);
        }
    }

    private static byte[] tar(Random random, int files, String prefix) {
        TarBuilder t = new TarBuilder();
        for (int d = 0; d < 10; d++) {
            t.dir(prefix + d);
        }
        for (int i = 0; i < files; i++) {
            byte[] data = new byte[1024 + random.nextInt(8192)];
            random.nextBytes(data);
            t.entry(prefix + (i % 10) + "/f" + i).mode(0644).data(data).add();
        }
        return t.end().bytes();
    }

    private static Process startChild(Path root, Path blob, Digest parent, Digest diffId) throws IOException {
        return new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                StoreCrashChild.class.getName(), root.toString(), blob.toString(), parent.toString(),
                diffId.toString()).redirectErrorStream(true).start();
    }

    /** Waits for the child's "registering" line; returns the milliseconds it took to get there. */
    private static long awaitRegistering(Process child) throws IOException {
        long start = System.nanoTime();
        BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = r.readLine()) != null) {
            if (line.equals("registering")) {
                // keep draining so the child never blocks on a full pipe
                Thread drain = new Thread(() -> {
                    try {
                        r.transferTo(java.io.Writer.nullWriter());
                    } catch (IOException ignored) {
                        // the child was killed
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return (System.nanoTime() - start) / 1_000_000;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("child exited before registering:\n" + seen);
    }
}
