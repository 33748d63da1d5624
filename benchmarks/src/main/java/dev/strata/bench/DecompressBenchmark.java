package dev.strata.bench;

import dev.strata.image.layer.Compression;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Decompression of a real layer held in memory, the first stage of every apply: gzip through the decoder
 * {@link Compression#GZIP} picks (ISA-L when {@code libisal.so.2} loads), gzip through the JDK's zlib
 * ({@link GZIPInputStream}, the fallback), and zstd (zstd-jni). The score is uncompressed MB/s.
 *
 * <p>Input: a tar of {@code -Dstrata.bench.src} (default {@code /usr/share/doc}), at most 256 MiB, compressed once
 * in setup (gzip level 6, zstd level 3, the levels layers are usually written with).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar DecompressBenchmark} (about three minutes).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
public class DecompressBenchmark {
    private static final int MAX_TAR = 256 << 20;

    @Param({"gzip", "gzip-jdk-zlib", "zstd"})
    public String decoder;

    private byte[] blob;
    private long uncompressed;
    private final byte[] buffer = new byte[256 * 1024];

    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        String src = System.getProperty("strata.bench.src", "/usr/share/doc");
        Process tar = new ProcessBuilder("tar", "-C", src, "-cf", "-", ".")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] tarBytes;
        try (InputStream in = tar.getInputStream()) {
            tarBytes = in.readNBytes(MAX_TAR);
        }
        tar.destroy();
        tar.waitFor();
        uncompressed = tarBytes.length;
        Compression c = decoder.equals("zstd") ? Compression.ZSTD : Compression.GZIP;
        ByteArrayOutputStream out = new ByteArrayOutputStream(tarBytes.length / 2);
        try (OutputStream z = c.compress(out, 0)) {
            z.write(tarBytes);
        }
        blob = out.toByteArray();
        System.out.printf("%n%s: %d bytes of tar from %s, %d compressed%n", decoder, uncompressed, src, blob.length);
    }

    /** One whole blob decoded; ops/s × the tar size is the throughput. */
    @Benchmark
    public long decode(Blackhole bh) throws IOException {
        InputStream raw = new ByteArrayInputStream(blob);
        long total = 0;
        try (InputStream in = decoder.equals("gzip-jdk-zlib") ? new GZIPInputStream(raw, 128 * 1024)
                : (decoder.equals("zstd") ? Compression.ZSTD : Compression.GZIP).decompress(raw)) {
            int n;
            while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
                total += n;
            }
        }
        if (total != uncompressed) {
            throw new IllegalStateException("decoded " + total + " bytes, expected " + uncompressed);
        }
        bh.consume(buffer[0]);
        return total;
    }
}
