package dev.strata.image.content;

import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer killed with SIGKILL at random moments (seeded) never leaves unverified content under blobs/, the layout
 * still opens, and the next write of the blob resumes from the partial data and succeeds.
 */
class CrashTest {
    private static final long SEED = 7;
    private static final long SIZE = 128L * 1024 * 1024;
    private static final int TRIALS = 5;

    @TempDir
    Path dir;

    @Test
    void killedWriterLeavesOnlyVerifiedBlobsAndTheWriteResumes() throws Exception {
        Digest digest = SeededContent.digest(SEED, SIZE);
        Random random = new Random(20240611L);
        List<Long> resumedAt = new ArrayList<>();
        for (int trial = 0; trial < TRIALS; trial++) {
            Path layout = dir.resolve("trial" + trial);
            ContentStore.open(layout).put("an unrelated blob".getBytes());
            Path log = dir.resolve("trial" + trial + ".log");
            // 5 ms per MiB: the write takes about a second, and the kill lands anywhere in it (or just after).
            Process child = ChildJvm.startWriter(layout, SEED, SIZE, digest.toString(), 5, log);
            try {
                waitForLine(log, "OFFSET", child);
                Thread.sleep(random.nextInt(1200));
            } finally {
                child.destroyForcibly(); // SIGKILL on Linux
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }

            ContentStore store = ContentStore.open(layout); // a killed writer leaves a layout that opens
            assertEveryBlobVerifies(store);

            long offset;
            try (ContentWriter w = store.writer(digest, SIZE)) {
                offset = w.offset();
            }
            BlobInfo info;
            try (InputStream in = new SeededContent(SEED, SIZE)) {
                info = store.write(in, digest, SIZE);
            }
            assertThat(info.size()).isEqualTo(SIZE);
            assertEveryBlobVerifies(store);
            assertThat(store.exists(digest)).isTrue();
            resumedAt.add(offset);
            deleteLayout(layout);
        }
        // The random kills must actually have interrupted some writes mid-way, or resume was not tested.
        assertThat(resumedAt).as("offsets at which writes resumed").anyMatch(o -> o > 0 && o < SIZE);
    }

    private static void waitForLine(Path log, String prefix, Process child) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(prefix)) {
                return;
            }
            if (!child.isAlive()) {
                throw new AssertionError("child exited early: " + Files.readString(log));
            }
            Thread.sleep(10);
        }
        throw new AssertionError("child did not start writing within 60 s");
    }

    private static void assertEveryBlobVerifies(ContentStore store) throws IOException {
        List<BlobInfo> blobs = new ArrayList<>();
        store.walk(blobs::add);
        assertThat(blobs).isNotEmpty();
        for (BlobInfo b : blobs) {
            try (InputStream in = store.open(b.digest(), true)) {
                in.transferTo(OutputStream.nullOutputStream()); // VerifyingInputStream throws on a mismatch
            }
        }
    }

    private static void deleteLayout(Path layout) throws IOException {
        try (var walk = Files.walk(layout)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
