package dev.strata.bench;

import dev.strata.image.digest.Digest;
import dev.strata.image.digest.Digester;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * SHA-256 throughput of {@link Digester}, the digest every pulled and written blob goes through.
 *
 * <p>Each invocation digests a whole buffer or file and counts one operation per byte
 * ({@link OperationsPerInvocation}), so the score in ops/s <em>is</em> bytes per second: divide by 1e9 for GB/s.
 * The file variants read a temp file that the first read leaves in the page cache, so they measure the digest
 * plus the copy out of the cache, as a pull of a cached blob would see it.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar DigestBenchmark} (about one minute).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 4)
public class DigestBenchmark {
    static final int IN_MEMORY_SIZE = 64 << 20;
    static final int FILE_SIZE = 256 << 20;
    static final int BUFFER_SIZE = 1 << 20;

    private byte[] inMemory;
    private Path file;
    private byte[] buffer;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        // Random content: SHA-256 speed does not depend on the data, but it keeps any layer below honest.
        SplittableRandom random = new SplittableRandom(42);
        inMemory = new byte[IN_MEMORY_SIZE];
        fill(random, inMemory);
        buffer = new byte[BUFFER_SIZE];
        file = Files.createTempFile("strata-digest-bench", ".bin");
        byte[] chunk = new byte[BUFFER_SIZE];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int written = 0; written < FILE_SIZE; written += chunk.length) {
                fill(random, chunk);
                out.write(chunk);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Files.deleteIfExists(file);
    }

    /** (a) 64 MiB already in memory: the digest alone. */
    @Benchmark
    @OperationsPerInvocation(IN_MEMORY_SIZE)
    public Digest inMemory64MiB() {
        Digester digester = Digester.sha256();
        digester.update(inMemory);
        return digester.digest();
    }

    /** (b) 256 MiB file through an InputStream with a 1 MiB buffer, the way blobs are streamed. */
    @Benchmark
    @OperationsPerInvocation(FILE_SIZE)
    public Digest file256MiBInputStream() throws IOException {
        Digester digester = Digester.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digester.update(buffer, 0, n);
            }
        }
        return digester.digest();
    }

    /** (b') the same file through a FileChannel into a 1 MiB heap buffer. */
    @Benchmark
    @OperationsPerInvocation(FILE_SIZE)
    public Digest file256MiBFileChannel() throws IOException {
        Digester digester = Digester.sha256();
        // A heap buffer: MessageDigest hashes its backing array directly, a direct buffer would be copied again.
        ByteBuffer heap = ByteBuffer.wrap(buffer);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            while (channel.read(heap.clear()) >= 0) {
                digester.update(heap.flip());
            }
        }
        return digester.digest();
    }

    private static void fill(SplittableRandom random, byte[] bytes) {
        for (int i = 0; i < bytes.length; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < bytes.length; j++) {
                bytes[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }
}
