package dev.strata.bench;

import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.GraphDrivers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The metadata operations a store performs all the time, on a driver holding 1,000 layers: {@code exists},
 * {@code get} + {@code put} (of a base layer: no mount), and {@code layers()}. Target: each well under 1 ms.
 * <pre>java -jar benchmarks/target/benchmarks.jar DriverOpsBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class DriverOpsBenchmark {
    private static final int LAYERS = 1000;

    @Param({"vfs", "overlay"})
    public String driverName;

    private Path home;
    private GraphDriver driver;

    @Setup
    public void createLayers() throws IOException {
        home = Files.createTempDirectory("strata-driver-bench");
        driver = GraphDrivers.providers().stream().filter(p -> p.name().equals(driverName)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no driver " + driverName))
                .open(home.resolve(driverName), Map.of());
        for (int i = 0; i < LAYERS; i++) {
            driver.create("layer" + i, null);
        }
    }

    @TearDown
    public void cleanup() throws IOException {
        driver.close();
        new ProcessBuilder("rm", "-rf", home.toString()).inheritIO().start();
    }

    @Benchmark
    public boolean exists() throws IOException {
        return driver.exists("layer" + ThreadLocalRandom.current().nextInt(LAYERS));
    }

    @Benchmark
    public Path getAndPut() throws IOException {
        String id = "layer" + ThreadLocalRandom.current().nextInt(LAYERS);
        Path p = driver.get(id);
        driver.put(id);
        return p;
    }

    @Benchmark
    public List<String> layers() throws IOException {
        return driver.layers();
    }
}
