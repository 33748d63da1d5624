package dev.strata.bench;

import dev.strata.image.content.ContentWriter;
import dev.strata.image.digest.Digest;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriter;
import dev.strata.image.layer.LayerWriterOptions;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.MediaType;
import dev.strata.image.store.Container;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Issue 14: a container on a 60-layer image, in process: {@code Store.createContainer} (records, lease, the driver
 * layer: overlay an empty upper, vfs a copy of the image) plus {@code Store.mountContainer} (overlay: one
 * read-write mount of 60 lowers). Target: under 50 ms median. The unmount and removal run after each timed call.
 * Each layer adds 100 files of 2 KiB (6,000 files, 12 MB in all). Needs root and overlayfs for {@code overlay}.
 * <pre>java -jar benchmarks/target/benchmarks.jar ContainerBenchmark -f 1 -wi 3 -i 5</pre>
 */
@Fork(1)
public class ContainerBenchmark {
    static final int LAYERS = 60;

    @State(Scope.Benchmark)
    public static class Image {
        @Param({"overlay", "vfs"})
        public String driverName;

        Path home;
        Store store;
        Container current;

        @Setup(Level.Trial)
        public void build() throws IOException {
            home = Files.createTempDirectory("strata-containers");
            store = Store.open(home.resolve("store"), StoreOptions.defaults().withDriver(driverName));
            Path empty = Files.createDirectories(home.resolve("empty"));
            Random random = new Random(14);
            List<Descriptor> layers = new ArrayList<>();
            List<String> diffIds = new ArrayList<>();
            for (int i = 0; i < LAYERS; i++) {
                Path dir = Files.createDirectories(home.resolve("layer" + i).resolve("usr/share/l" + i));
                byte[] data = new byte[2048];
                for (int f = 0; f < 100; f++) {
                    random.nextBytes(data);
                    Files.write(dir.resolve("f" + f), data);
                }
                LayerWriteResult w;
                try (ContentWriter out = store.content().writer()) {
                    w = LayerWriter.writeDiff(empty, home.resolve("layer" + i), out,
                            LayerWriterOptions.of(Compression.GZIP));
                    out.commit();
                }
                layers.add(new Descriptor(w.mediaType(), w.digest(), w.size()));
                diffIds.add("\"" + w.diffId() + "\"");
                Benchmarks.deleteTree(home.resolve("layer" + i));
            }
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                    + "\"diff_ids\":[" + String.join(",", diffIds) + "]}}").getBytes(StandardCharsets.UTF_8);
            Digest cfg = store.content().put(config);
            ImageManifest m = ImageManifest.create(MediaType.OCI_MANIFEST,
                    new Descriptor(MediaType.OCI_CONFIG, cfg, config.length), layers, Map.of());
            store.content().put(m.raw());
            store.addImage("bench/app:1", m.digest());
            System.out.printf("%n%s: %d layers under %s%n", driverName, LAYERS, home);
        }

        @TearDown(Level.Invocation)
        public void dropContainer() throws IOException {
            if (current != null) {
                store.removeContainer(current, true);
                current = null;
            }
        }

        @TearDown(Level.Trial)
        public void cleanup() throws IOException {
            store.close();
            Benchmarks.deleteTree(home);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 2)
    public Path createAndMount(Image s) throws IOException {
        s.current = s.store.createContainer("bench/app:1", null);
        return s.store.mountContainer(s.current);
    }
}
