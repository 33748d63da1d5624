package dev.strata.image.content;

import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Concurrent writers of one blob, in threads of one JVM and in two JVMs, all succeed with one correct blob. */
class ConcurrencyTest {
    private static final long SEED = 42;
    private static final long LARGE = 48L * 1024 * 1024;
    private static Digest largeDigest;

    @TempDir
    Path dir;

    @BeforeAll
    static void digestLargeContent() throws IOException {
        largeDigest = SeededContent.digest(SEED, LARGE);
    }

    @Test
    void eightThreadsWritingOneBlob() throws Exception {
        ContentStore store = ContentStore.open(dir);
        byte[] content = ContentStoreTest.bytes(3 * 1024 * 1024 + 5, 8);
        Digest digest = Digest.sha256(content);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<BlobInfo>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                // Half of them open the store themselves: locks must hold across ContentStore instances too.
                ContentStore mine = i % 2 == 0 ? store : ContentStore.open(dir);
                results.add(pool.submit(() -> {
                    start.await();
                    return mine.write(new SlowStream(content), digest, content.length);
                }));
            }
            start.countDown();
            for (Future<BlobInfo> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS).digest()).isEqualTo(digest);
            }
        } finally {
            pool.shutdownNow();
        }
        assertOneCorrectBlob(store, digest);
    }

    @Test
    void eightThreadsPuttingAndComputingDigests() throws Exception {
        ContentStore store = ContentStore.open(dir);
        byte[] content = ContentStoreTest.bytes(1024 * 1024, 9);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Digest>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                boolean computed = i % 2 == 0;
                results.add(pool.submit(() -> computed
                        ? store.write(new ByteArrayInputStream(content), null, -1).digest()
                        : store.put(content)));
            }
            for (Future<Digest> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo(Digest.sha256(content));
            }
        } finally {
            pool.shutdownNow();
        }
        assertOneCorrectBlob(store, Digest.sha256(content));
    }

    @Test
    void twoJvmsWritingOneLargeBlob() throws Exception {
        Path layout = dir.resolve("layout");
        ContentStore store = ContentStore.open(layout);
        // 20 ms per MiB: about a second of writing each, so the two overlap despite different start-up times.
        Process a = ChildJvm.startWriter(layout, SEED, LARGE, largeDigest.toString(), 20, dir.resolve("a.log"));
        Process b = ChildJvm.startWriter(layout, SEED, LARGE, largeDigest.toString(), 20, dir.resolve("b.log"));
        try {
            assertThat(a.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(b.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String logA = Files.readString(dir.resolve("a.log"));
            String logB = Files.readString(dir.resolve("b.log"));
            assertThat(a.exitValue()).as(logA).isZero();
            assertThat(b.exitValue()).as(logB).isZero();
            assertThat(logA).contains("DONE " + largeDigest);
            assertThat(logB).contains("DONE " + largeDigest);
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
        }
        assertOneCorrectBlob(store, largeDigest);
    }

    private static void assertOneCorrectBlob(ContentStore store, Digest digest) throws IOException {
        List<BlobInfo> all = new ArrayList<>();
        store.walk(all::add);
        assertThat(all).extracting(BlobInfo::digest).containsExactly(digest);
        try (InputStream in = store.open(digest, true)) {
            in.transferTo(java.io.OutputStream.nullOutputStream()); // throws if the content does not match
        }
        try (Stream<Path> ingest = Files.list(store.root().resolve("ingest"))) {
            assertThat(ingest.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
        }
    }

    /** Hands out small chunks so that writers overlap instead of one finishing before the next starts. */
    private static final class SlowStream extends ByteArrayInputStream {
        SlowStream(byte[] content) {
            super(content);
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            Thread.yield();
            return super.read(b, off, Math.min(len, 64 * 1024));
        }
    }
}
