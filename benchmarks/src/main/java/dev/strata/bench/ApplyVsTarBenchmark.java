package dev.strata.bench;

import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.LayerApplier;
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

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The layer engine as an embedder runs it (in a warm JVM) side by side with GNU tar, in the same run, on the same
 * real layer blobs: a directory of this machine (default {@code /usr/share}) packed as tar, tar.gz (gzip -6) and
 * tar.zst (zstd -3) by the peer tools themselves, each extracted onto an empty directory. {@code tar} runs as a
 * child process reading the blob from the page cache, like {@code tar -xzf} on a shell; the Strata side reads the
 * same file. Point {@code -Djava.io.tmpdir} at a tmpfs to keep the disk out of it.
 * <pre>java -Djava.io.tmpdir=/dev/shm -jar benchmarks/target/benchmarks.jar ApplyVsTarBenchmark \
 *     -jvmArgsAppend -Djava.io.tmpdir=/dev/shm</pre>
 * Compare {@code strata} against {@code gnuTar} of the same {@code compression}; the targets are gzip at
 * 0.75x {@code tar -xzf} and zstd at 0.5x Strata's gzip time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
public class ApplyVsTarBenchmark {
    /** The tree packed into the layer. */
    @Param({"/usr/share"})
    public String source;

    @Param({"none", "gzip", "zstd"})
    public String compression;

    private Path work;
    private Path blob;
    private Path target;

    @Setup(Level.Trial)
    public void makeLayer() throws IOException, InterruptedException {
        work = Files.createTempDirectory("strata-apply-vs-tar");
        Path src = Path.of(source).toAbsolutePath();
        Path tar = work.resolve("layer.tar");
        run(List.of("tar", "-C", src.getParent().toString(), "-cf", tar.toString(), src.getFileName().toString()));
        switch (compression) {
            case "none" -> blob = tar;
            case "gzip" -> {
                blob = work.resolve("layer.tar.gz");
                run(List.of("sh", "-c", "gzip -6 -c '" + tar + "' > '" + blob + "'"));
            }
            case "zstd" -> {
                blob = work.resolve("layer.tar.zst");
                run(List.of("zstd", "-q", "-3", "-o", blob.toString(), tar.toString()));
            }
            default -> throw new IllegalArgumentException("compression " + compression);
        }
        if (!blob.equals(tar)) {
            Files.delete(tar);
        }
    }

    @Setup(Level.Invocation)
    public void freshTarget() throws IOException {
        target = Files.createTempDirectory(work, "t");
    }

    @TearDown(Level.Invocation)
    public void removeTarget() throws IOException, InterruptedException {
        run(List.of("rm", "-rf", target.toString())); // as fast as it gets, and outside the timed part
    }

    @TearDown(Level.Trial)
    public void cleanup() throws IOException, InterruptedException {
        run(List.of("rm", "-rf", work.toString()));
    }

    @Benchmark
    public ApplyResult strata() throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(blob), 1 << 20)) {
            return new LayerApplier().apply(in, target);
        }
    }

    @Benchmark
    public int gnuTar() throws IOException, InterruptedException {
        String decompress = switch (compression) {
            case "gzip" -> "--gzip";
            case "zstd" -> "--zstd";
            default -> "--no-auto-compress";
        };
        return run(List.of("tar", decompress, "-xf", blob.toString(), "-C", target.toString()));
    }

    private static int run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IOException(String.join(" ", cmd) + " exited with " + rc);
        }
        return rc;
    }
}
