package dev.strata.driver.overlay;

import dev.strata.image.content.ContentStore;
import dev.strata.image.driver.Probe;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Platform;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.PullCrashChild;
import dev.strata.image.registry.PullOptions;
import dev.strata.image.registry.PullResult;
import dev.strata.image.registry.Puller;
import dev.strata.image.store.LayerRecord;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.FaultProxy;
import dev.strata.image.testing.TestImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGKILL of a JVM pulling into an overlay store while several layers, each prepared on the unpublished one below
 * it, are being applied at once: the next open removes the stacks of driver layers nobody owns (top first), and the
 * next pull completes with the right content and leaves nothing behind once its image is removed.
 */
class OverlayPullCrashTest {
    private static final int TRIALS = 6;
    private static final int LAYERS = 4;
    private static final int LAYER_BYTES = 1536 * 1024;
    private static final Platform AMD64 = new Platform("linux", "amd64");

    @TempDir
    Path tmp;

    @Test
    void killedParallelAppliesLeaveNothingTheNextOpenCannotCleanUp() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        Probe probe = new OverlayDriverProvider().probe(tmp.resolve("probe"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        Random random = new Random(20261128L);
        TestImages.RandomLayers layers = TestImages.randomFileLayers(random, LAYERS, LAYER_BYTES);
        List<byte[]> files = layers.files();
        List<byte[]> tars = layers.tars();
        ContentStore layout = ContentStore.open(tmp.resolve("layout"));
        ImageManifest image = TestImages.write(layout, tars);
        layout.tag("v1", image.descriptor());

        try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"));
             FaultProxy proxy = new FaultProxy(registry.port())) {
            registry.seed(layout.root(), "v1", "test/crash", "v1", false);
            proxy.inject("/blobs/", Integer.MAX_VALUE, new FaultProxy.Throttle(3L * 1024 * 1024));
            ImageReference ref = ImageReference.parse(proxy.host() + "/test/crash:v1");
            int leftPending = 0;
            List<String> stages = new ArrayList<>();
            for (int trial = 0; trial < TRIALS; trial++) {
                Path root = tmp.resolve("store-" + trial);
                Files.createDirectories(root);
                List<String> marks = PullCrashChild.killDuringPull(root, ref, "overlay", "downloading",
                        100 + random.nextInt(400));
                stages.add(trial + ":" + marks);
                int driverDirs;
                try (var s = Files.list(root.resolve("overlay/layers"))) {
                    driverDirs = (int) s.count();
                }
                try (Store store = Store.open(root, StoreOptions.defaults().withDriver("overlay"))) {
                    List<LayerRecord> records = store.layers().list();
                    assertThat(records).noneMatch(LayerRecord::incomplete);
                    assertThat(store.driver().layers()).as("trial %d: driver layers after reopening", trial)
                            .hasSameSizeAs(records);
                    if (driverDirs > records.size()) {
                        leftPending++;
                    }
                    PullResult result = new Puller(store).pull(ref, PullOptions.defaults().withPlatform(AMD64)
                            .withJobs(4));
                    Path rootfs = tmp.resolve("rootfs-" + trial);
                    store.unpack(result.name(), rootfs);
                    for (int i = 0; i < LAYERS; i++) {
                        assertThat(Files.readAllBytes(rootfs.resolve("layer" + i + ".bin")))
                                .as("trial %d: layer%d.bin", trial, i).isEqualTo(files.get(i));
                    }
                    store.removeImage(result.name());
                    assertThat(store.layers().list()).isEmpty();
                    assertThat(store.driver().layers()).isEmpty();
                }
            }
            System.out.println("OverlayPullCrashTest: " + stages + "; trials that left unpublished layers: "
                    + leftPending);
            assertThat(leftPending).as("kills that left prepared, unpublished driver layers: %s", stages)
                    .isGreaterThanOrEqualTo(2);
        }
        assertThat(OverlayTestMounts.detachAllUnder(tmp)).as("mounts left").isZero();
    }
}
