package dev.strata.bench;

import dev.strata.driver.vfs.VfsDriver;
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
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A VFS child layer over a parent that holds a real tree ({@code source}, copied into the parent layer once):
 * {@code VfsDriver.create(child, parent)} against {@code cp -a} of the same parent tree, in the same run on the
 * same file system (the work directory is made in {@code java.io.tmpdir}). Each invocation is timed alone; the
 * copy is deleted after it, outside the timing. Target: create ≤ 1.0× cp -a. Compare the p(50) lines.
 * <pre>
 * java -Djava.io.tmpdir=/dev/shm -jar benchmarks/target/benchmarks.jar VfsCreateBenchmark   # tmpfs
 * java -Djava.io.tmpdir=/var/tmp -jar benchmarks/target/benchmarks.jar VfsCreateBenchmark -wi 1 -i 3   # disk
 * </pre>
 * (JMH passes the launching JVM's {@code -D} options on to the forked one.)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 7)
@Fork(1)
public class VfsCreateBenchmark {
    private static final String PARENT = "parent";
    private static final String CHILD = "child";

    /** The tree the parent layer holds. */
    @Param("/usr/share")
    public String source;

    private Path work;
    private VfsDriver driver;
    private Path parentDir;
    private Path cpTarget;

    @Setup(Level.Trial)
    public void fillParent() throws IOException, InterruptedException {
        work = Files.createTempDirectory("strata-vfs-create");
        driver = VfsDriver.open(work.resolve("vfs"));
        driver.create(PARENT, null);
        parentDir = driver.get(PARENT);
        driver.put(PARENT);
        run("cp", "-a", source + "/.", parentDir + "/");
        cpTarget = work.resolve("cp-copy");
    }

    @TearDown(Level.Invocation)
    public void deleteCopies() throws IOException, InterruptedException {
        if (driver.exists(CHILD)) {
            driver.remove(CHILD);
        }
        if (Files.exists(cpTarget, LinkOption.NOFOLLOW_LINKS)) {
            run("rm", "-rf", cpTarget.toString());
        }
    }

    @TearDown(Level.Trial)
    public void deleteAll() throws IOException, InterruptedException {
        driver.close();
        run("rm", "-rf", work.toString());
    }

    @Benchmark
    public void vfsCreate() throws IOException {
        driver.create(CHILD, PARENT);
    }

    @Benchmark
    public void cpA() throws IOException, InterruptedException {
        run("cp", "-a", parentDir.toString(), cpTarget.toString());
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed with exit code " + p.exitValue());
        }
    }
}
