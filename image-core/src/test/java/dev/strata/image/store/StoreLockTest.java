package dev.strata.image.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Readers share, a writer excludes everyone (threads here; the file lock covers other processes). */
class StoreLockTest {
    @TempDir
    Path root;

    @Test
    void readersShareAndAWriterWaitsForThem() throws Exception {
        StoreLock lock = StoreLock.forRoot(root);
        assertThat(StoreLock.forRoot(root)).isSameAs(lock);
        StoreLock.Held a = lock.shared();
        CompletableFuture<Void> otherReader = CompletableFuture.runAsync(() -> {
            try (StoreLock.Held b = lock.shared()) {
                // shared with a
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        otherReader.get(5, TimeUnit.SECONDS);
        CountDownLatch written = new CountDownLatch(1);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (StoreLock.Held w = lock.exclusive()) {
                written.countDown();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(written.await(300, TimeUnit.MILLISECONDS)).as("writer blocked by reader").isFalse();
        a.close();
        writer.get(5, TimeUnit.SECONDS);
        assertThat(written.getCount()).isZero();
        assertThat(Files.exists(root.resolve("store.lock"))).isTrue();
    }

    @Test
    void exclusiveIsReentrantInOneThread() throws Exception {
        StoreLock lock = StoreLock.forRoot(root);
        try (StoreLock.Held outer = lock.exclusive(); StoreLock.Held inner = lock.exclusive()) {
            assertThat(inner).isNotNull();
        }
        try (StoreLock.Held again = lock.shared()) {
            assertThat(again).isNotNull();
        }
    }
}
