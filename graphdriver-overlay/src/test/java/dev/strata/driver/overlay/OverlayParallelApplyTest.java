package dev.strata.driver.overlay;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.driver.Probe;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.TarBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Layers of one chain applied at the same time, in any order (each overlay layer is its own directory): neither
 * apply waits for the other, the merged view is the ordered chain, and a layer being applied cannot be mounted.
 */
class OverlayParallelApplyTest {
    @TempDir
    Path tmp;
    private OverlayDriver driver;
    private ExecutorService pool;

    @BeforeEach
    void openDriver() throws IOException {
        Probe probe = new OverlayDriverProvider().probe(tmp.resolve("overlay"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        driver = OverlayDriver.open(tmp.resolve("overlay"));
        pool = Executors.newFixedThreadPool(3);
    }

    @AfterEach
    void close() throws IOException {
        pool.shutdownNow();
        try {
            driver.close();
        } finally {
            assertThat(OverlayTestMounts.detachAllUnder(tmp)).as("mounts left after close").isZero();
        }
    }

    /** A layer blob whose first read returns only once every apply of the group has started reading. */
    private static InputStream meeting(byte[] blob, CountDownLatch started) {
        return new FilterInputStream(new ByteArrayInputStream(blob)) {
            private boolean first = true;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (first) {
                    first = false;
                    started.countDown();
                    try {
                        if (!started.await(20, TimeUnit.SECONDS)) {
                            throw new IOException("the other apply never started: applies are serialized");
                        }
                    } catch (InterruptedException e) {
                        throw new InterruptedIOException();
                    }
                }
                return super.read(b, off, len);
            }
        };
    }

    @Test
    void childLayersApplyAtTheSameTimeInAnyOrder() throws Exception {
        driver.create("base", null);
        driver.applyDiff("base", null, new ByteArrayInputStream(new TarBuilder().dir("etc")
                .file("etc/os", "base").file("etc/old", "old").file("keep", "k").end().bytes()));
        driver.create("mid", "base");
        driver.create("top", "mid");
        byte[] mid = new TarBuilder().file("etc/.wh.old", "").file("etc/mid", "m").end().bytes();
        byte[] top = new TarBuilder().file("etc/os", "top").file(".wh.keep", "").end().bytes();

        CountDownLatch started = new CountDownLatch(2);
        List<Future<?>> applies = new ArrayList<>();
        // The top layer first: its apply must not need the middle one's content.
        applies.add(pool.submit(() -> driver.applyDiff("top", "mid", meeting(top, started))));
        applies.add(pool.submit(() -> driver.applyDiff("mid", "base", meeting(mid, started))));
        for (Future<?> f : applies) {
            f.get(60, TimeUnit.SECONDS);
        }

        Path merged = driver.get("top");
        try {
            assertThat(merged.resolve("etc/os")).hasContent("top");
            assertThat(merged.resolve("etc/mid")).hasContent("m");
            assertThat(merged.resolve("etc/old")).doesNotExist();
            assertThat(merged.resolve("keep")).doesNotExist();
            try (var names = Files.list(merged.resolve("etc"))) {
                assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("os", "mid");
            }
        } finally {
            driver.put("top");
        }
    }

    @Test
    void aLayerBeingAppliedCannotBeMountedOrRemoved() throws Exception {
        driver.create("base", null);
        CountDownLatch started = new CountDownLatch(2); // the test thread is the second party
        Future<?> apply = pool.submit(() -> driver.applyDiff("base", null,
                meeting(new TarBuilder().file("f", "x").end().bytes(), started)));
        while (started.getCount() == 2) {
            Thread.sleep(5); // until the apply is inside its first read
        }
        try {
            assertThatThrownBy(() -> driver.get("base")).isInstanceOf(FailedPreconditionException.class)
                    .hasMessageContaining("being applied");
            assertThatThrownBy(() -> driver.remove("base")).isInstanceOf(FailedPreconditionException.class)
                    .hasMessageContaining("being applied");
            assertThatThrownBy(() -> driver.applyDiff("base", null, new ByteArrayInputStream(new byte[0])))
                    .isInstanceOf(FailedPreconditionException.class).hasMessageContaining("already being applied");
        } finally {
            started.countDown();
        }
        apply.get(60, TimeUnit.SECONDS);
        Path dir = driver.get("base");
        try {
            assertThat(dir.resolve("f")).hasContent("x");
        } finally {
            driver.put("base");
        }
    }
}
