package dev.strata.driver.overlay;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
import dev.strata.image.driver.Probe;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.PullOptions;
import dev.strata.image.registry.PullResult;
import dev.strata.image.registry.Puller;
import dev.strata.image.registry.RegistryOptions;
import dev.strata.image.registry.RetryPolicy;
import dev.strata.image.store.LayerLease;
import dev.strata.image.store.LayerRecord;
import dev.strata.image.store.PreparedLayer;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.FaultProxy;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A pull into an overlay store applies every layer as its blob arrives, in any order, each into its own directory,
 * and publishes them in chain order; a failure or a lost publish race leaves nothing behind.
 */
class OverlayStorePullTest {
    private static final Platform AMD64 = Platform.parse("linux/amd64");

    @TempDir
    static Path shared;
    private static TestRegistry registry;
    private static ImageManifest image;
    private static List<byte[]> tars;

    @TempDir
    Path tmp;
    private FaultProxy proxy;
    private final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startRegistry() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        Probe probe = new OverlayDriverProvider().probe(shared.resolve("probe"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        registry = TestRegistry.start(shared.resolve("registry"));
        byte[] noise = new byte[1536 * 1024];
        new Random(5).nextBytes(noise);
        tars = List.of(
                // the base: large enough to throttle, so that the layers above it arrive first
                new TarBuilder().dir("etc").file("etc/os-release", "base\n").file("etc/gone", "x\n")
                        .dir("opt").file("opt/old", "old\n").entry("base.bin").data(noise).add().end().bytes(),
                new TarBuilder().dir("etc").file("etc/.wh.gone", "").file("app.txt", "app\n").end().bytes(),
                new TarBuilder().dir("opt").file("opt/.wh..wh..opq", "").file("opt/new", "new\n").end().bytes(),
                new TarBuilder().dir("etc").file("etc/os-release", "top\n").end().bytes());
        Path layout = shared.resolve("layout");
        ContentStore content = ContentStore.open(layout);
        image = TestImages.write(content, tars);
        content.tag("v1", image.descriptor());
        registry.seed(layout, "v1", "test/four", "v1", false);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void startProxy() throws Exception {
        proxy = new FaultProxy(registry.port());
    }

    @AfterEach
    void stopProxy() throws Exception {
        proxy.close();
        assertThat(OverlayTestMounts.detachAllUnder(tmp)).as("mounts left").isZero();
    }

    private Store openStore() throws IOException {
        return Store.open(tmp.resolve("store"), StoreOptions.defaults().withDriver("overlay"));
    }

    private PullOptions options() {
        return PullOptions.defaults().withPlatform(AMD64).withJobs(4).withListener(events::add)
                .withRegistry(RegistryOptions.anonymous().withRetryPolicy(new RetryPolicy(2,
                        Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(5))));
    }

    private ImageReference ref() {
        return ImageReference.parse(proxy.host() + "/test/four:v1");
    }

    private Digest blob(int i) {
        return image.layers().get(i).digest();
    }

    @Test
    void upperLayersAreAppliedWhileTheBaseStillDownloads() throws Exception {
        proxy.inject("/blobs/" + blob(0), 1, new FaultProxy.Throttle(1024 * 1024));
        try (Store store = openStore()) {
            assertThat(store.layers().appliesLayersIndependently()).isTrue();
            new Puller(store).pull(ref(), options());

            int baseDone = events.indexOf(new ProgressEvent.Done(blob(0)));
            for (int i = 1; i < 4; i++) {
                // A streamed layer reports Extracting before its first byte is applied and Done after the apply
                // and the blob's verification; applied in chain order, it would start only after the base's Done.
                int extracting = events.indexOf(new ProgressEvent.Extracting(blob(i)));
                assertThat(extracting).as("layer %d started applying before the base finished", i)
                        .isNotNegative().isLessThan(baseDone);
                assertThat(events.indexOf(new ProgressEvent.Done(blob(i))))
                        .as("layer %d was applied and verified before the base finished", i)
                        .isGreaterThan(extracting).isLessThan(baseDone);
            }
            assertThat(store.layers().list()).extracting(LayerRecord::chainId)
                    .containsExactlyInAnyOrderElementsOf(ChainId.all(tars.stream().map(Digest::sha256).toList()));
            assertThat(store.layers().prune()).isEmpty();

            Path rootfs = tmp.resolve("rootfs");
            store.unpack(store.images().list().get(0).name(), rootfs);
            assertThat(rootfs.resolve("etc/os-release")).hasContent("top");
            assertThat(rootfs.resolve("etc/gone")).doesNotExist();
            assertThat(rootfs.resolve("app.txt")).hasContent("app");
            assertThat(rootfs.resolve("opt/old")).doesNotExist();
            assertThat(rootfs.resolve("opt/new")).hasContent("new");
            assertThat(rootfs.resolve("base.bin")).hasSize(1536 * 1024);
        }
    }

    @Test
    void layersWhoseBlobsAreStoredAlreadyAreAppliedInParallelToo() throws Exception {
        try (Store store = openStore()) {
            new Puller(store).pull(ref(), options());
            store.removeImage(store.images().list().get(0).name()); // layers go, blobs stay until gc
            assertThat(store.layers().list()).isEmpty();
            events.clear();

            // The base's apply waits (at most 10 s) until layer 1's apply has started: only possible in parallel.
            CountDownLatch secondStarted = new CountDownLatch(1);
            AtomicBoolean overlapped = new AtomicBoolean();
            PullOptions opts = options().withListener(e -> {
                events.add(e);
                if (e.equals(new ProgressEvent.Extracting(blob(1)))) {
                    secondStarted.countDown();
                } else if (e.equals(new ProgressEvent.Extracting(blob(0)))) {
                    try {
                        overlapped.set(secondStarted.await(10, TimeUnit.SECONDS));
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            PullResult result = new Puller(store).pull(ref(), opts);

            assertThat(result.downloaded()).as("every blob was in the content store").isEmpty();
            assertThat(overlapped).as("layer 1 started applying while the base was being applied").isTrue();
            assertThat(store.layers().list()).hasSize(4);
            Path rootfs = tmp.resolve("rootfs");
            store.unpack(result.name(), rootfs);
            assertThat(rootfs.resolve("etc/os-release")).hasContent("top");
            assertThat(rootfs.resolve("opt/new")).hasContent("new");
        }
    }

    @Test
    void aCorruptUpperBlobFailsThePullAndLeavesNoLayerBehind() throws Exception {
        proxy.inject("/blobs/" + blob(0), 1, new FaultProxy.Throttle(2 * 1024 * 1024));
        proxy.inject("/blobs/" + blob(2), 1, new FaultProxy.Corrupt(100));
        try (Store store = openStore()) {
            assertThatThrownBy(() -> new Puller(store).pull(ref(), options()))
                    .isInstanceOf(DigestMismatchException.class).hasMessageContaining(blob(2).toString());
            assertThat(store.layers().list()).isEmpty();
            assertThat(store.driver().layers()).as("every layer prepared up front was discarded").isEmpty();
            assertThat(store.images().list()).isEmpty();
        }
        try (Store store = openStore()) {
            new Puller(store).pull(ref(), options());
            assertThat(store.layers().list()).hasSize(4);
            assertThat(store.driver().layers()).hasSize(4);
        }
    }

    @Test
    void aChildOfALayerThatLostThePublishRaceIsRefusedAndBothAreDiscarded() throws Exception {
        Digest base = Digest.sha256(tars.get(0));
        Digest second = Digest.sha256(tars.get(1));
        try (Store store = openStore(); LayerLease ours = store.lease(); LayerLease theirs = store.lease()) {
            PreparedLayer mine = store.layers().prepare(null, base, ours);
            PreparedLayer child = store.layers().prepareOn(mine, second);
            assertThatThrownBy(mine::close).isInstanceOf(FailedPreconditionException.class)
                    .hasMessageContaining("close them first");
            mine.apply(gz(0));
            child.apply(gz(1));

            try (PreparedLayer winner = store.layers().prepare(null, base, theirs)) {
                winner.apply(gz(0));
                winner.publish();
            }
            LayerRecord published = mine.publish();
            assertThat(mine.superseded()).isTrue();
            assertThat(store.driver().layers()).as("the loser stays while a child sits on it").hasSize(3);
            assertThatThrownBy(child::publish).isInstanceOf(FailedPreconditionException.class)
                    .hasMessageContaining("another registration");
            child.close();
            mine.close();
            assertThat(store.driver().layers()).containsExactly(published.driverId());

            try (PreparedLayer again = store.layers().prepare(base, second, ours)) {
                again.apply(gz(1));
                assertThat(again.publish().parent()).isEqualTo(base);
            }
        }
    }

    @Test
    void aBaseLayerPublishedByAnotherRegistrationMidPullIsReusedAndTheLayersAboveRegisteredAgain() throws Exception {
        proxy.inject("/blobs/" + blob(0), 1, new FaultProxy.Throttle(1024 * 1024));
        Digest base = Digest.sha256(tars.get(0));
        List<Throwable> raceErrors = new CopyOnWriteArrayList<>();
        try (Store store = openStore(); LayerLease theirs = store.lease()) {
            AtomicBoolean raced = new AtomicBoolean();
            PullOptions opts = options().withListener(e -> {
                events.add(e);
                if (e instanceof ProgressEvent.Done d && d.digest().equals(blob(1)) && raced.compareAndSet(false, true)) {
                    // Layer 1 is applied, the base still downloads: another registration publishes the base first.
                    try (PreparedLayer winner = store.layers().prepare(null, base, theirs)) {
                        winner.apply(gz(0));
                        winner.publish();
                    } catch (IOException | RuntimeException ex) {
                        raceErrors.add(ex);
                    }
                }
            });
            new Puller(store).pull(ref(), opts);

            assertThat(raced).isTrue();
            assertThat(raceErrors).isEmpty();
            for (int i = 1; i < 4; i++) {
                ProgressEvent extracting = new ProgressEvent.Extracting(blob(i));
                assertThat(events.stream().filter(extracting::equals).count())
                        .as("layer %d applied as it arrived, then again on the stored base", i).isEqualTo(2);
            }
            assertThat(store.layers().list()).hasSize(4);
            assertThat(store.driver().layers()).as("the superseded base and the layers on it are gone").hasSize(4);
            Path rootfs = tmp.resolve("rootfs");
            store.unpack(store.images().list().get(0).name(), rootfs);
            assertThat(rootfs.resolve("etc/os-release")).hasContent("top");
            assertThat(rootfs.resolve("etc/gone")).doesNotExist();
            assertThat(rootfs.resolve("opt/old")).doesNotExist();
        }
    }

    private static InputStream gz(int i) {
        return new ByteArrayInputStream(TestImages.gzip(tars.get(i)));
    }
}
