package dev.strata.image.registry;

import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.store.TestStores;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Child JVM for {@link PullCrashTest} and the overlay driver's crash test: opens the store at args[0] (with the
 * driver named by args[2] if given, else the test-only plain-directory driver) and pulls args[1] (linux/amd64),
 * printing a marker line at each stage so the test knows where its SIGKILL landed: {@code opened},
 * {@code downloading} (first layer bytes received), {@code extracting} (first layer registration), {@code done}.
 */
public final class PullCrashChild {
    /** Config and manifest are far smaller; layers are megabytes. */
    static final long LAYER_THRESHOLD = 100_000;

    private PullCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        AtomicBoolean downloading = new AtomicBoolean();
        AtomicBoolean extracting = new AtomicBoolean();
        try (Store store = args.length > 2
                ? Store.open(Path.of(args[0]), StoreOptions.defaults().withDriver(args[2]))
                : TestStores.openPlain(Path.of(args[0]))) {
            System.out.println("opened");
            System.out.flush();
            PullOptions options = PullOptions.defaults().withPlatform(new Platform("linux", "amd64")).withJobs(2)
                    .withListener(e -> {
                        if (e instanceof ProgressEvent.Downloading d && d.total() > LAYER_THRESHOLD && d.bytes() > 0
                                && !downloading.getAndSet(true)) {
                            mark("downloading");
                        } else if (e instanceof ProgressEvent.Extracting && !extracting.getAndSet(true)) {
                            mark("extracting");
                        }
                    });
            new Puller(store).pull(ImageReference.parse(args[1]), options);
            mark("done");
        }
    }

    /**
     * Runs this child on {@code root} (with {@code driver}, or the plain-directory test driver when null), waits for
     * its {@code anchor} mark, SIGKILLs it {@code delayMillis} later and returns the marks it printed by then (all of
     * them if it finished first).
     */
    public static List<String> killDuringPull(Path root, ImageReference ref, String driver, String anchor,
                                              long delayMillis) throws Exception {
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + "/bin/java", "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                PullCrashChild.class.getName(), root.toString(), ref.toString()));
        if (driver != null) {
            command.add(driver);
        }
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child was killed mid-line
            }
        }, "pull-crash-child-output");
        reader.setDaemon(true);
        reader.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!lines.contains(anchor) && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertThat(lines).as("child output").contains(anchor);
            Thread.sleep(delayMillis);
            List<String> seen = List.copyOf(lines);
            child.destroyForcibly();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            reader.join(5000);
            if (child.exitValue() == 0) {
                return List.copyOf(lines); // finished before the kill
            }
            assertThat(child.exitValue()).as("child output %s", lines).isEqualTo(137);
            return seen;
        } finally {
            child.destroyForcibly();
        }
    }

    private static synchronized void mark(String stage) {
        System.out.println(stage);
        System.out.flush();
    }
}
