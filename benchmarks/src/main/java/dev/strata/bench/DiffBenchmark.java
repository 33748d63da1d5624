package dev.strata.bench;

import dev.strata.image.layer.Change;
import dev.strata.image.layer.Changes;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriter;
import dev.strata.image.layer.LayerWriterOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The diff walk over two 100,000-entry trees that differ in 1% of their files, and writing those changes as a
 * gzip or zstd layer (to a null stream: writer throughput, not disk).
 * <pre>java -jar benchmarks/target/benchmarks.jar DiffBenchmark -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
public class DiffBenchmark {
    private Path work;
    private Path lower;
    private Path upper;
    private List<Change> changes;

    @Setup
    public void makeTrees() throws IOException {
        work = Files.createTempDirectory("strata-diff-bench");
        lower = Files.createDirectories(work.resolve("lower"));
        byte[] data = new byte[512];
        for (int d = 0; d < 1000; d++) {
            Path dir = Files.createDirectories(lower.resolve("d" + d));
            for (int f = 0; f < 99; f++) {
                Files.write(dir.resolve("f" + f), data);
            }
        }
        upper = work.resolve("upper");
        Benchmarks.copyTree(lower, upper);
        for (int d = 0; d < 1000; d++) {
            Files.writeString(upper.resolve("d" + d).resolve("f0"), "changed");
        }
        changes = Changes.between(lower, upper);
    }

    @TearDown
    public void cleanup() throws IOException {
        Benchmarks.deleteTree(work);
    }

    @Benchmark
    public List<Change> walk() throws IOException {
        return Changes.between(lower, upper);
    }

    @Benchmark
    public LayerWriteResult writeGzip() throws IOException {
        return new LayerWriter(LayerWriterOptions.of(Compression.GZIP)).write(upper, changes,
                OutputStream.nullOutputStream());
    }

    @Benchmark
    public LayerWriteResult writeZstd() throws IOException {
        return new LayerWriter(LayerWriterOptions.of(Compression.ZSTD)).write(upper, changes,
                OutputStream.nullOutputStream());
    }
}
