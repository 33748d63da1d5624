package dev.strata.image.registry;

import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.store.LayerRecord;
import dev.strata.image.store.Store;
import dev.strata.image.store.TestStores;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.FaultProxy;
import dev.strata.image.testing.TestImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGKILL of a pulling JVM at seeded random moments: the store still opens and is consistent, and the next pull
 * finishes the job, reusing the blobs the killed pull completed and resuming its partial ones.
 */
class PullCrashTest {
    private static final int TRIALS = 12;
    private static final long SEED = 20240611L;
    private static final int LAYERS = 3;
    private static final int LAYER_BYTES = 2 * 1024 * 1024;
    /** Per connection; with two jobs a whole pull takes about 0.8 s, so most kills land inside it. */
    private static final long BYTES_PER_SECOND = 4L * 1024 * 1024;
    private static final Platform AMD64 = new Platform("linux", "amd64");

    @TempDir
    Path tmp;

    @Test
    void killedPullsLeaveAConsistentStoreAndTheNextPullReusesTheirWork() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        Random random = new Random(SEED);
        TestImages.RandomLayers layers = TestImages.randomFileLayers(random, LAYERS, LAYER_BYTES);
        List<byte[]> files = layers.files();
        List<byte[]> tars = layers.tars();
        ContentStore layout = ContentStore.open(tmp.resolve("layout"));
        ImageManifest image = TestImages.write(layout, tars);
        layout.tag("v1", image.descriptor());

        try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"));
             FaultProxy proxy = new FaultProxy(registry.port())) {
            registry.seed(layout.root(), "v1", "test/crash", "v1", false);
            proxy.inject("/blobs/", Integer.MAX_VALUE, new FaultProxy.Throttle(BYTES_PER_SECOND));
            ImageReference ref = ImageReference.parse(proxy.host() + "/test/crash:v1");

            List<Descriptor> blobs = new ArrayList<>();
            blobs.add(image.config());
            blobs.addAll(image.layers());
            long totalBytes = blobs.stream().mapToLong(Descriptor::size).sum();

            int midDownload = 0;
            int midPull = 0;
            int completedBefore = 0;
            int reused = 0;
            int resumed = 0;
            List<String> stages = new ArrayList<>();
            for (int trial = 0; trial < TRIALS; trial++) {
                Path root = tmp.resolve("store-" + trial);
                Files.createDirectories(root);
                // Even trials: any moment of the pull (the child needs ~0.8 s to its first layer byte). Odd trials:
                // within the download, so that kills mid-download do not depend on how fast this machine is.
                String anchor = trial % 2 == 0 ? "opened" : "downloading";
                long delay = trial % 2 == 0 ? 200 + random.nextInt(2200) : random.nextInt(600);
                List<String> marks = killChildPull(root, ref, anchor, delay);
                stages.add(trial + ":" + anchor + "+" + delay + "ms:" + marks);

                // What the killed pull left, read before anything touches the store.
                Path content = root.resolve("content");
                Set<Digest> complete = new HashSet<>();
                Map<Digest, Long> partial = new LinkedHashMap<>();
                for (Descriptor b : blobs) {
                    if (Files.exists(blobFile(content, b.digest()))) {
                        complete.add(b.digest());
                    } else {
                        Path part = content.resolve("ingest").resolve(b.digest().encoded() + ".part");
                        if (Files.exists(part) && Files.size(part) > 0) {
                            partial.put(b.digest(), Files.size(part));
                        }
                    }
                }
                assertAllBlobsMatchTheirNames(content);
                long completeLayers = image.layers().stream().filter(l -> complete.contains(l.digest())).count();
                if (!partial.isEmpty() || (completeLayers > 0 && completeLayers < LAYERS)) {
                    midDownload++;
                }
                if (marks.contains("downloading") && !marks.contains("done")) {
                    midPull++;
                }

                List<ProgressEvent> events = new CopyOnWriteArrayList<>();
                try (Store store = TestStores.openPlain(root)) {
                    assertThat(store.layers().list()).as("trial %d: layer records after reopening", trial)
                            .noneMatch(LayerRecord::incomplete);
                    boolean finished = store.images().get(ref.toString()).isPresent();
                    if (marks.contains("done")) {
                        assertThat(finished).as("trial %d: a pull that said done recorded its image", trial).isTrue();
                    }
                    if (!marks.contains("extracting")) {
                        assertThat(finished).as("trial %d: image recorded before any layer was registered", trial)
                                .isFalse();
                    }

                    PullResult result = new Puller(store).pull(ref, PullOptions.defaults().withPlatform(AMD64)
                            .withJobs(2).withListener(events::add));

                    assertThat(result.manifestDigest()).isEqualTo(image.digest());
                    assertThat(Set.copyOf(result.alreadyPresent())).as("trial %d: reused blobs", trial)
                            .isEqualTo(complete);
                    long expected = totalBytes - blobs.stream().filter(b -> complete.contains(b.digest()))
                            .mapToLong(Descriptor::size).sum() - partial.values().stream().mapToLong(x -> x).sum();
                    assertThat(result.bytesDownloaded()).as("trial %d: bytes fetched after %s complete, %s partial",
                            trial, complete, partial).isEqualTo(expected);
                    assertThat(events.stream().filter(ProgressEvent.AlreadyExists.class::isInstance).count())
                            .isEqualTo(complete.size());
                    if (!complete.isEmpty()) {
                        completedBefore++;
                    }
                    if (completeLayers > 0) {
                        reused++;
                    }
                    if (!partial.isEmpty()) {
                        resumed++;
                    }

                    assertThat(store.layers().list()).hasSize(LAYERS).noneMatch(LayerRecord::incomplete);
                    Path rootfs = tmp.resolve("rootfs-" + trial);
                    store.unpack(result.name(), rootfs);
                    for (int i = 0; i < LAYERS; i++) {
                        assertThat(Files.readAllBytes(rootfs.resolve("layer" + i + ".bin")))
                                .as("trial %d: layer%d.bin", trial, i).isEqualTo(files.get(i));
                    }
                    // Layers the killed pull registered are referenced by the image alone, not once more.
                    store.removeImage(result.name());
                    assertThat(store.layers().list()).as("trial %d: layers after removing the image", trial)
                            .isEmpty();
                    assertThat(store.driver().layers()).isEmpty();
                }
                assertAllBlobsMatchTheirNames(content);
            }

            System.out.println("PullCrashTest: trials " + TRIALS + ", killed mid-pull " + midPull
                    + ", killed mid-download " + midDownload
                    + ", some blob complete before the next pull " + completedBefore + ", a layer reused " + reused
                    + ", a partial blob resumed " + resumed + "; stages " + stages);
            assertThat(midPull).as("kills that landed after the first layer byte, before done: %s", stages)
                    .isGreaterThanOrEqualTo(TRIALS / 2);
            assertThat(midDownload).as("kills that landed mid-download: %s", stages).isGreaterThanOrEqualTo(3);
            assertThat(reused).as("trials where the next pull reused a completed layer: %s", stages)
                    .isGreaterThanOrEqualTo(1);
            assertThat(resumed).as("trials where the next pull resumed a partial blob: %s", stages)
                    .isGreaterThanOrEqualTo(1);
        }
    }

    /**
     * Starts {@link PullCrashChild}, waits until it has printed {@code anchor}, then {@code delayMillis} more, and
     * kills it with SIGKILL. Returns the stage markers it had printed by then.
     */
    private List<String> killChildPull(Path root, ImageReference ref, String anchor, long delayMillis)
            throws Exception {
        return PullCrashChild.killDuringPull(root, ref, null, anchor, delayMillis);
    }

    private static Path blobFile(Path content, Digest digest) {
        return content.resolve("blobs").resolve(digest.algorithm().ociName()).resolve(digest.encoded());
    }

    /** Every file under blobs/ must be complete, verified content: its sha256 is its name. */
    private static void assertAllBlobsMatchTheirNames(Path content) throws IOException {
        try (Stream<Path> files = Files.list(content.resolve("blobs").resolve("sha256"))) {
            for (Path f : files.toList()) {
                assertThat(Digest.sha256(Files.readAllBytes(f)).encoded()).as("blob %s", f)
                        .isEqualTo(f.getFileName().toString());
            }
        }
    }
}
