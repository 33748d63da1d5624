package dev.strata.bench;

import dev.strata.driver.overlay.OverlayDriver;
import dev.strata.driver.vfs.VfsDriver;
import dev.strata.image.driver.DiffDriver;
import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.NaiveDiff;
import dev.strata.image.layer.ApplyOptions;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriterOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The overlay driver's three promises (issue 6), each against its alternative:
 * <ul>
 *   <li>{@code viewMountUnmount} / {@code writableGetPut}: attach and detach a read-only view of the top of a chain of
 *       1, 16, 128 or 500 layers, and get + put a writable layer on top of that chain (both: {@code depth} lowers,
 *       one real mount and unmount each). Target: under 2 ms median even at 128.</li>
 *   <li>{@code rootfs}: time to a usable rootfs on a 60-layer image of real content ({@code /usr/share/doc} split
 *       into 60 layers): overlay creates a writable layer on the chain and mounts it, vfs copies the chain's top.
 *       Target: overlay at least 20x faster.</li>
 *   <li>{@code nativeChanges} vs {@code naiveChanges} (and the same for the layer tar, {@code *Diff}): a one-file
 *       change on a 10,000-file image, read from the upper directory vs found by walking both mounted trees
 *       ({@link NaiveDiff} on the same overlay layers). Target: at least 50x.</li>
 * </ul>
 * Fixtures live under {@code java.io.tmpdir} (pass {@code -Djava.io.tmpdir=/dev/shm} through {@code -jvmArgsAppend}
 * for tmpfs). Needs root and overlayfs.
 * <pre>java -jar benchmarks/target/benchmarks.jar OverlayBenchmark -f 1 -wi 2 -i 3</pre>
 */
@Fork(1)
public class OverlayBenchmark {

    /** A chain of {@code depth} layers, one small file each, and a writable layer on top of it. */
    @State(Scope.Benchmark)
    public static class Chain {
        @Param({"1", "16", "128", "500"})
        public int depth;

        Path home;
        OverlayDriver driver;
        String top;

        @Setup(Level.Trial)
        public void build() throws IOException {
            home = Files.createTempDirectory("strata-overlay-chain");
            driver = OverlayDriver.open(home.resolve("overlay"));
            String parent = null;
            for (int i = 0; i < depth; i++) {
                String id = "layer" + i;
                driver.create(id, parent);
                Path dir = driver.get(id);
                Files.writeString(dir.resolve("f" + i), "layer " + i);
                driver.put(id);
                parent = id;
            }
            top = parent;
            driver.create("rw", top);
        }

        @TearDown(Level.Trial)
        public void cleanup() throws IOException {
            driver.close();
            Benchmarks.deleteTree(home);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 2)
    public Path viewMountUnmount(Chain c) throws IOException {
        Path view = c.driver.mountView(c.top);
        c.driver.unmountView(c.top);
        return view;
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 2)
    public Path writableGetPut(Chain c) throws IOException {
        Path merged = c.driver.get("rw");
        c.driver.put("rw");
        return merged;
    }

    /** /usr/share/doc split into 60 layers on each driver; the op makes one writable rootfs on top. */
    @State(Scope.Benchmark)
    public static class Rootfs {
        static final int LAYERS = 60;

        @Param({"overlay", "vfs"})
        public String driverName;

        Path home;
        GraphDriver driver;
        String top;
        long bytes;

        @Setup(Level.Trial)
        public void build() throws IOException, InterruptedException {
            home = Files.createTempDirectory("strata-rootfs");
            driver = driverName.equals("overlay") ? OverlayDriver.open(home.resolve("overlay"))
                    : VfsDriver.open(home.resolve("vfs"));
            List<List<Path>> parts = split(Path.of("/usr/share/doc"), LAYERS);
            String parent = null;
            for (int i = 0; i < LAYERS; i++) {
                String id = "layer" + i;
                driver.create(id, parent);
                Path dir = driver.get(id);
                try {
                    Path docs = Files.createDirectories(dir.resolve("usr/share/doc"));
                    List<String> cmd = new ArrayList<>(List.of("cp", "-a"));
                    parts.get(i).forEach(p -> cmd.add(p.toString()));
                    cmd.add(docs.toString());
                    run(cmd);
                } finally {
                    driver.put(id);
                }
                parent = id;
            }
            top = parent;
            Path dir = driver.get(top);
            bytes = Long.parseLong(run(List.of("du", "-sb", dir.toString())).split("\\s")[0]);
            driver.put(top);
            System.out.printf("%n%s: %d layers, %.1f MB of /usr/share/doc under %s%n", driverName, LAYERS,
                    bytes / 1e6, home);
        }

        @TearDown(Level.Invocation)
        public void dropRootfs() throws IOException {
            if (driver.exists("rootfs")) {
                driver.put("rootfs");
                driver.remove("rootfs");
            }
        }

        @TearDown(Level.Trial)
        public void cleanup() throws IOException {
            driver.close();
            Benchmarks.deleteTree(home);
        }

        /** The top-level entries of {@code dir}, dealt into {@code n} parts of about equal size. */
        static List<List<Path>> split(Path dir, int n) throws IOException, InterruptedException {
            List<Path> entries;
            try (Stream<Path> s = Files.list(dir)) {
                entries = new ArrayList<>(s.sorted().toList());
            }
            List<List<Path>> parts = new ArrayList<>();
            long[] sizes = new long[n];
            for (int i = 0; i < n; i++) {
                parts.add(new ArrayList<>());
            }
            for (Path e : entries) { // greedy: next entry into the smallest part so far
                int smallest = 0;
                for (int i = 1; i < n; i++) {
                    if (sizes[i] < sizes[smallest]) {
                        smallest = i;
                    }
                }
                parts.get(smallest).add(e);
                sizes[smallest] += Long.parseLong(run(List.of("du", "-sb", e.toString())).split("\\s")[0]);
            }
            return parts;
        }

        static String run(List<String> cmd) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 5)
    public Path rootfs(Rootfs r) throws IOException {
        r.driver.create("rootfs", r.top);
        return r.driver.get("rootfs");
    }

    /** A 10,000-file base layer (100 dirs x 100 files) and a child that changed one file. */
    @State(Scope.Benchmark)
    public static class OneFileChange {
        Path home;
        OverlayDriver driver;
        DiffDriver naive;

        @Setup(Level.Trial)
        public void build() throws IOException {
            home = Files.createTempDirectory("strata-overlay-diff");
            driver = OverlayDriver.open(home.resolve("overlay"));
            naive = NaiveDiff.wrap(driver, ApplyOptions.defaults());
            driver.create("base", null);
            Path base = driver.get("base");
            byte[] data = new byte[256];
            for (int d = 0; d < 100; d++) {
                Path dir = Files.createDirectories(base.resolve("d" + d));
                for (int f = 0; f < 100; f++) {
                    Files.write(dir.resolve("f" + f), data);
                }
            }
            driver.put("base");
            driver.create("child", "base");
            Path child = driver.get("child");
            Files.writeString(child.resolve("d42/f7"), "changed");
            driver.put("child");
            List<Change> nativeChanges = driver.changes("child", "base");
            List<Change> naiveChanges = naive.changes("child", "base");
            if (!nativeChanges.equals(naiveChanges)) { // comparing times of different answers would mean nothing
                throw new IllegalStateException("native " + nativeChanges + " != naive " + naiveChanges);
            }
            System.out.printf("%nchanges of the one-file edit: %s%n", nativeChanges);
        }

        @TearDown(Level.Trial)
        public void cleanup() throws IOException {
            driver.close();
            Benchmarks.deleteTree(home);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 2)
    public List<Change> nativeChanges(OneFileChange s) throws IOException {
        return s.driver.changes("child", "base");
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 2)
    public List<Change> naiveChanges(OneFileChange s) throws IOException {
        return s.naive.changes("child", "base");
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 2)
    public LayerWriteResult nativeDiff(OneFileChange s) throws IOException {
        return s.driver.diff("child", "base", OutputStream.nullOutputStream(), LayerWriterOptions.of(Compression.NONE));
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 2)
    public LayerWriteResult naiveDiff(OneFileChange s) throws IOException {
        return s.naive.diff("child", "base", OutputStream.nullOutputStream(), LayerWriterOptions.of(Compression.NONE));
    }
}
