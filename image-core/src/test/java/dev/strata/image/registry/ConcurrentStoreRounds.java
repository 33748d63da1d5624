package dev.strata.image.registry;

import dev.strata.image.content.ContentStore;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Platform;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.store.LayerRecord;
import dev.strata.image.store.Store;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.TestImages;
import dev.strata.image.testing.TestRegistry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Rounds of concurrent commands on one store, each command its own JVM ({@link ConcurrentStoreChild}): two pullers
 * of the same and of overlapping images (A and B share their two lower layers) while a third process removes both
 * images and runs gc in a loop. Every operation must succeed or wait its turn; a round fails if any operation in it
 * failed or a child did not finish within its bound.
 */
public final class ConcurrentStoreRounds {
    private static final int LAYER_BYTES = 768 * 1024;
    private static final long CHILD_BOUND_SECONDS = 120;

    private ConcurrentStoreRounds() {
    }

    /** What the rounds saw: how many failed, and the failure lines of the children (prefixed by round). */
    public record Result(int rounds, int failedRounds, List<String> failures) {
        @Override
        public String toString() {
            return failedRounds + " of " + rounds + " rounds failed: " + String.join("\n", failures);
        }
    }

    /** Opens the store the rounds ran on, for the final check. */
    @FunctionalInterface
    public interface Opener {
        Store open(Path root) throws IOException;
    }

    /**
     * The whole test: a registry seeded with A and B, {@code rounds} rounds with {@code driver} ({@code -}: the
     * plain-directory driver), no failure in any, and a consistent store afterwards ({@link #checkConsistent}).
     * Bounded: a child that hangs fails its round, and the whole run has 10 minutes.
     */
    public static void runAndCheck(Path tmp, String driver, int rounds, Opener opener) {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        assertTimeoutPreemptively(Duration.ofMinutes(10), () -> {
            try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"))) {
                List<String> refs = seed(tmp, registry);
                Path root = tmp.resolve("store");
                Result result = run(tmp, root, driver, refs, rounds);
                System.out.println("ConcurrentStoreRounds(" + driver + "): " + result.failedRounds() + " of "
                        + rounds + " rounds failed");
                assertThat(result.failures()).as(result.toString()).isEmpty();
                try (Store store = opener.open(root)) {
                    checkConsistent(store, refs);
                }
            }
        });
    }

    /** The images A and B in the layout {@code tmp/layout}, tagged {@code a} and {@code b}. */
    public static void writeLayout(Path tmp) throws IOException {
        TestImages.RandomLayers layers = TestImages.randomFileLayers(new Random(20261202L), 4, LAYER_BYTES);
        List<byte[]> tars = layers.tars();
        ContentStore layout = ContentStore.open(tmp.resolve("layout"));
        ImageManifest a = TestImages.write(layout, List.of(tars.get(0), tars.get(1), tars.get(2)));
        ImageManifest b = TestImages.write(layout, List.of(tars.get(0), tars.get(1), tars.get(3)));
        layout.tag("a", a.descriptor());
        layout.tag("b", b.descriptor());
    }

    /** The images A and B, pushed to {@code registry}; returns their references (A first). */
    public static List<String> seed(Path tmp, TestRegistry registry) throws IOException {
        writeLayout(tmp);
        Path layout = tmp.resolve("layout");
        registry.seed(layout, "a", "test/a", "v1", false);
        registry.seed(layout, "b", "test/b", "v1", false);
        return List.of(registry.host() + "/test/a:v1", registry.host() + "/test/b:v1");
    }

    /** {@code rounds} rounds of pulls on the store at {@code root} with {@code driver} ({@code -}: plain-directory). */
    public static Result run(Path tmp, Path root, String driver, List<String> refs, int rounds) throws Exception {
        String a = refs.get(0);
        String b = refs.get(1);
        return run(tmp, root, driver, refs, rounds, List.of("pull", a, b), List.of("pull", a, b, a));
    }

    /**
     * {@code rounds} rounds of imports from the layout {@link #seed} wrote (no registry): the same locks as a pull
     * but applied from a content store, one layer at a time. The names are {@code local/a} and {@code local/b}.
     */
    public static Result runImports(Path tmp, Path root, String driver, int rounds) throws Exception {
        String layout = tmp.resolve("layout").toString();
        return run(tmp, root, driver, List.of("local/a", "local/b"), rounds,
                List.of("import", layout, "local/a", "local/b"), List.of("import", layout, "local/a", "local/b",
                        "local/a"));
    }

    private static Result run(Path tmp, Path root, String driver, List<String> names, int rounds,
                              List<String> firstArgs, List<String> secondArgs) throws Exception {
        String a = names.get(0);
        String b = names.get(1);
        List<String> failures = new ArrayList<>();
        int failedRounds = 0;
        for (int round = 0; round < rounds; round++) {
            Path stop = tmp.resolve("stop-" + round);
            List<String> rmgc = new ArrayList<>(List.of("rmgc", stop.toString(), a, b));
            Process remover = start(tmp, root, driver, rmgc, "rmgc-" + round);
            Process first = start(tmp, root, driver, firstArgs, "pull1-" + round);
            Process second = start(tmp, root, driver, secondArgs, "pull2-" + round);
            List<String> seen = new ArrayList<>();
            seen.addAll(finish(first, tmp.resolve("pull1-" + round), round));
            seen.addAll(finish(second, tmp.resolve("pull2-" + round), round));
            Files.createFile(stop);
            seen.addAll(finish(remover, tmp.resolve("rmgc-" + round), round));
            if (!seen.isEmpty()) {
                failedRounds++;
                failures.addAll(seen);
            }
        }
        return new Result(rounds, failedRounds, failures);
    }

    /**
     * After the rounds: the store opens, holds no incomplete layer and no driver layer without a record, and pulls B
     * once more, whose layers then all are stored.
     */
    public static void checkConsistent(Store store, List<String> refs) throws IOException {
        assertThat(store.layers().list()).noneMatch(LayerRecord::incomplete);
        assertThat(store.driver().layers()).hasSameSizeAs(store.layers().list());
        PullResult pulled = new Puller(store).pull(ImageReference.parse(refs.get(1)), PullOptions.defaults()
                .withPlatform(new Platform("linux", "amd64")));
        assertThat(store.topLayer(pulled.name())).isPresent();
        assertThat(store.layers().get(store.topLayer(pulled.name()).orElseThrow())).isPresent();
    }

    private static Process start(Path tmp, Path root, String driver, List<String> args, String log)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + "/bin/java", "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                ConcurrentStoreChild.class.getName(), root.toString(), driver));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(log).toFile()).start();
    }

    /** Waits (bounded) for {@code child}; returns its failure lines, or why it counts as failed. */
    private static List<String> finish(Process child, Path log, int round) throws Exception {
        List<String> out = new ArrayList<>();
        if (!child.waitFor(CHILD_BOUND_SECONDS, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            out.add("round " + round + " " + log.getFileName() + ": HUNG for " + CHILD_BOUND_SECONDS + " s");
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (String line : lines) {
            if (line.startsWith("FAIL ")) {
                out.add("round " + round + " " + log.getFileName() + ": " + line);
            }
        }
        if (out.isEmpty() && child.exitValue() != 0) {
            out.add("round " + round + " " + log.getFileName() + ": exit " + child.exitValue() + ": "
                    + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
        }
        return out;
    }
}
