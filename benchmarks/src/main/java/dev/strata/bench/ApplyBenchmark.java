package dev.strata.bench;

import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.layer.LayerWriter;
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

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Applying a layer held in memory onto an empty directory: many small files (10,000 x 4 KiB) or few big ones
 * (8 x 16 MiB), plain, gzip and zstd. Run with {@code -prof gc} for allocation per operation.
 * <pre>java -jar benchmarks/target/benchmarks.jar ApplyBenchmark -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
public class ApplyBenchmark {
    @Param({"small", "big"})
    public String shape;

    @Param({"NONE", "GZIP", "ZSTD"})
    public Compression compression;

    private byte[] blob;
    private Path work;
    private Path target;

    @Setup(Level.Trial)
    public void makeLayer() throws IOException {
        work = Files.createTempDirectory("strata-apply-bench");
        Path src = Files.createDirectories(work.resolve("src"));
        Path empty = Files.createDirectories(work.resolve("empty"));
        Random random = new Random(42);
        if (shape.equals("small")) {
            byte[] data = new byte[4096];
            for (int d = 0; d < 100; d++) {
                Path dir = Files.createDirectories(src.resolve("d" + d));
                for (int f = 0; f < 100; f++) {
                    random.nextBytes(data);
                    Files.write(dir.resolve("f" + f), data);
                }
            }
        } else {
            byte[] data = new byte[16 << 20];
            for (int f = 0; f < 8; f++) {
                // Half random, half text-like, so compression has work to do but still gains something.
                random.nextBytes(data);
                java.util.Arrays.fill(data, data.length / 2, data.length, (byte) ('a' + f));
                Files.write(src.resolve("big" + f), data);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerWriter.writeDiff(empty, src, out, LayerWriterOptions.of(compression));
        blob = out.toByteArray();
        Benchmarks.deleteTree(src);
    }

    @Setup(Level.Invocation)
    public void freshTarget() throws IOException {
        target = Files.createTempDirectory(work, "t");
    }

    @TearDown(Level.Invocation)
    public void removeTarget() throws IOException {
        Benchmarks.deleteTree(target);
    }

    @TearDown(Level.Trial)
    public void cleanup() throws IOException {
        Benchmarks.deleteTree(work);
    }

    @Benchmark
    public ApplyResult apply() throws IOException {
        return new LayerApplier().apply(new ByteArrayInputStream(blob), target);
    }
}
