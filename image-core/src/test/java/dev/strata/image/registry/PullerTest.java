package dev.strata.image.registry;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.NotFoundException;
import dev.strata.image.UnavailableException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreGcResult;
import dev.strata.image.store.TestStores;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.ChunkedLayers;
import dev.strata.image.testing.FaultProxy;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Puller against a real docker-registry: by tag and digest, platforms, reuse, resume, faults, skopeo interop. */
class PullerTest {
    private static final Platform AMD64 = new Platform("linux", "amd64");
    private static final Platform ARM64 = new Platform("linux", "arm64", "v8");

    @TempDir
    static Path shared;
    static TestRegistry registry;
    /** Three gzip layers, the second overwriting a file of the first and the third deleting one. */
    static ImageManifest layered;
    static OciImages.Image big;
    static OciImages.Image arm;
    /** {@link #layered}'s three layers and a fourth of 1.5 MiB random bytes. */
    static ImageManifest more;
    /** An eStargz-shaped gzip layer and a zstd:chunked-shaped zstd layer. */
    static ImageManifest chunked;
    static List<Digest> moreChain;

    @TempDir
    Path tmp;
    FaultProxy proxy;
    final List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    /** The thread that reported each blob's download: the layer pool is bounded by the jobs option. */
    final Map<Digest, String> downloadThreads = new ConcurrentHashMap<>();

    @BeforeAll
    static void startRegistry() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.start(shared.resolve("registry"));

        Path layout = shared.resolve("layered");
        ContentStore content = ContentStore.open(layout);
        List<byte[]> tars = List.of(
                new TarBuilder().dir("etc").file("etc/os-release", "base\n").file("etc/gone", "x\n").end().bytes(),
                new TarBuilder().dir("etc").file("etc/os-release", "child\n").file("app.txt", "app\n").end().bytes(),
                new TarBuilder().dir("etc").file("etc/.wh.gone", "").end().bytes());
        layered = TestImages.write(content, tars);
        content.tag("v1", layered.descriptor());
        registry.seed(layout, "v1", "test/layered", "v1", false);

        byte[] noise = new byte[1536 * 1024];
        new Random(11).nextBytes(noise);
        List<byte[]> moreTars = new java.util.ArrayList<>(tars);
        moreTars.add(new TarBuilder().entry("noise.bin").data(noise).add().end().bytes());
        Path moreLayout = shared.resolve("more");
        ContentStore moreContent = ContentStore.open(moreLayout);
        more = TestImages.write(moreContent, moreTars);
        moreChain = ChainId.all(moreTars.stream().map(Digest::sha256).toList());
        moreContent.tag("v1", more.descriptor());
        registry.seed(moreLayout, "v1", "test/more", "v1", false);

        chunked = chunkedImage(shared.resolve("chunked"));
        registry.seed(shared.resolve("chunked"), "v1", "test/chunked", "v1", false);

        byte[] random = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(random);
        big = bigImage(random);
        OciImages.writeLayout(shared.resolve("big"), "v1", big);
        registry.seed(shared.resolve("big"), "v1", "test/big", "v1", false);

        OciImages.Image amd = OciImages.image(AMD64, Map.of("arch", "amd64\n"));
        arm = OciImages.image(ARM64, Map.of("arch", "arm64\n"));
        OciImages.writeMultiPlatform(shared.resolve("multi"), "latest", List.of(amd, arm), List.of(AMD64, ARM64));
        registry.seed(shared.resolve("multi"), "latest", "test/multi", "latest", true);
    }

    /**
     * Two layers as lazy-pulling formats write them: 300 files in one gzip member each (eStargz, with its TOC entry
     * and footer member) and 300 more in one zstd frame each with skippable frames between (zstd:chunked).
     */
    private static ImageManifest chunkedImage(Path layout) throws IOException {
        ContentStore content = ContentStore.open(layout);
        List<byte[]> gzParts = ChunkedLayers.sampleParts(300);
        List<byte[]> zstParts = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            zstParts.add(new TarBuilder().file("z" + i, "zstd file " + i).bytes());
        }
        zstParts.add(new byte[1024]);
        byte[] gz = ChunkedLayers.perMemberGzip(gzParts);
        byte[] zst = ChunkedLayers.perFrameZstd(zstParts);
        List<Descriptor> layers = List.of(
                new Descriptor(MediaType.OCI_LAYER_GZIP, content.put(gz), gz.length).withAnnotations(
                        Map.of("containerd.io/snapshot/stargz/toc.digest", Digest.sha256(gzParts.get(300)).toString())),
                new Descriptor(MediaType.OCI_LAYER_ZSTD, content.put(zst), zst.length).withAnnotations(
                        Map.of("io.github.containers.zstd-chunked.manifest-checksum", Digest.sha256(zst).toString())));
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                + "\"diff_ids\":[\"" + Digest.sha256(ChunkedLayers.concat(gzParts)) + "\",\""
                + Digest.sha256(ChunkedLayers.concat(zstParts)) + "\"]}}").getBytes(StandardCharsets.UTF_8);
        Descriptor cfg = new Descriptor(MediaType.OCI_CONFIG, content.put(config), config.length);
        ImageManifest m = ImageManifest.create(MediaType.OCI_MANIFEST, cfg, layers, Map.of());
        content.put(m.raw());
        content.tag("v1", m.descriptor());
        return m;
    }

    /** One layer holding a 3 MiB file of random bytes: large enough to cut a download in the middle. */
    private static OciImages.Image bigImage(byte[] random) {
        byte[] tar = new TarBuilder().entry("blob.bin").data(random).add().end().bytes();
        return OciImages.image(AMD64, OciImages.gzip(tar), Digest.sha256(tar));
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
    }

    private PullOptions options(int attempts) {
        return PullOptions.defaults().withPlatform(AMD64).withJobs(2).withListener(e -> {
                    events.add(e);
                    if (e instanceof ProgressEvent.Downloading d) {
                        downloadThreads.put(d.digest(), Thread.currentThread().getName());
                    }
                })
                .withRegistry(RegistryOptions.anonymous().withRetryPolicy(new RetryPolicy(attempts,
                        Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(5))));
    }

    private static ImageReference ref(String host, String rest) {
        return ImageReference.parse(host + "/" + rest);
    }

    private <T extends ProgressEvent> List<T> eventsOf(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void pullByTagRegistersTheLayersAndUnpacksTheirContent() throws Exception {
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            ImageReference ref = ref(registry.host(), "test/layered:v1");
            PullResult result = new Puller(store).pull(ref, options(3));

            assertThat(result.manifestDigest()).isEqualTo(layered.digest());
            assertThat(result.config()).isEqualTo(layered.config().digest());
            assertThat(result.name()).isEqualTo(registry.host() + "/test/layered:v1");
            assertThat(result.downloaded()).hasSize(4).containsAll(layered.layers().stream()
                    .map(d -> d.digest()).toList());
            assertThat(result.alreadyPresent()).isEmpty();
            assertThat(store.images().get(result.name())).isPresent();
            assertThat(store.layers().list()).hasSize(3);

            Path rootfs = tmp.resolve("rootfs");
            store.unpack(result.name(), rootfs);
            assertThat(rootfs.resolve("etc/os-release")).hasContent("child");
            assertThat(rootfs.resolve("app.txt")).hasContent("app");
            assertThat(rootfs.resolve("etc/gone")).doesNotExist();
        }
        assertThat(events.get(0)).isEqualTo(new ProgressEvent.Resolved(ref(registry.host(), "test/layered:v1"),
                layered.digest()));
        assertThat(eventsOf(ProgressEvent.Done.class)).hasSize(4);
        for (var layer : layered.layers()) {
            // A layer applied while it downloads is read by the applier's decoder thread of that pool thread.
            assertThat(downloadThreads.get(layer.digest())).isIn("strata-pull-1", "strata-pull-2",
                    "strata-layer-decode");
        }
        assertThat(eventsOf(ProgressEvent.Extracting.class)).extracting(ProgressEvent::digest)
                .containsExactlyElementsOf(layered.layers().stream().map(d -> d.digest()).toList());
        for (var layer : layered.layers()) {
            List<ProgressEvent.Downloading> progress = eventsOf(ProgressEvent.Downloading.class).stream()
                    .filter(e -> e.digest().equals(layer.digest())).toList();
            assertThat(progress).isNotEmpty();
            assertThat(progress.get(progress.size() - 1).bytes()).isEqualTo(layer.size());
            assertThat(progress).allSatisfy(e -> assertThat(e.total()).isEqualTo(layer.size()));
        }
    }

    @Test
    void pullByDigestPinsTheManifest() throws Exception {
        ImageReference ref = ref(registry.host(), "test/layered@" + layered.digest());
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            PullResult result = new Puller(store).pull(ref, options(3));
            assertThat(result.manifestDigest()).isEqualTo(layered.digest());
            assertThat(store.images().get(ref.toString())).get()
                    .satisfies(r -> assertThat(r.manifest()).isEqualTo(layered.digest()));
            store.unpack(ref.toString(), tmp.resolve("rootfs"));
            assertThat(tmp.resolve("rootfs/app.txt")).hasContent("app");
        }
    }

    @Test
    void multiPlatformIndexYieldsTheRequestedPlatform() throws Exception {
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            PullResult result = new Puller(store).pull(ref(registry.host(), "test/multi:latest"),
                    options(3).withPlatform(Platform.parse("linux/arm64/v8")));
            assertThat(result.manifestDigest()).isEqualTo(arm.manifest().digest());
            store.unpack(result.name(), tmp.resolve("rootfs"));
            assertThat(tmp.resolve("rootfs/arch")).hasContent("arm64");
        }
    }

    @Test
    void unknownPlatformIsNotFoundAndListsWhatTheIndexOffers() throws Exception {
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            assertThatThrownBy(() -> new Puller(store).pull(ref(registry.host(), "test/multi:latest"),
                    options(3).withPlatform(Platform.parse("linux/s390x"))))
                    .isInstanceOf(NotFoundException.class)
                    .hasMessageContaining("test/multi:latest")
                    .hasMessageContaining("linux/amd64").hasMessageContaining("linux/arm64");
            assertThat(store.images().list()).isEmpty();
        }
    }

    @Test
    void secondPullFindsEverythingAndFetchesNoBlob() throws Exception {
        ImageReference ref = ref(proxy.host(), "test/layered:v1");
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            new Puller(store).pull(ref, options(3));
            long blobGets = proxy.count("GET /v2/test/layered/blobs/");
            assertThat(blobGets).isEqualTo(4);
            events.clear();

            PullResult again = new Puller(store).pull(ref, options(3));
            assertThat(proxy.count("GET /v2/test/layered/blobs/")).isEqualTo(blobGets);
            assertThat(again.downloaded()).isEmpty();
            assertThat(again.alreadyPresent()).hasSize(4);
            assertThat(again.bytesDownloaded()).isZero();
            assertThat(eventsOf(ProgressEvent.AlreadyExists.class)).hasSize(4);
            assertThat(eventsOf(ProgressEvent.Downloading.class)).isEmpty();
            assertThat(store.layers().list()).hasSize(3); // ChainIDs reused, not duplicated
        }
    }

    @Test
    void layoutPullHasTheSameBlobsAsSkopeoCopyAndSkopeoReadsIt() throws Exception {
        Path ours = tmp.resolve("ours");
        PullResult result = Puller.pullToLayout(ref(registry.host(), "test/layered:v1"), ContentStore.open(ours),
                "app:v1", options(3));
        Path theirs = tmp.resolve("skopeo");
        Proc.ok(null, "skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
                "docker://" + registry.host() + "/test/layered:v1", "oci:" + theirs + ":x");

        assertThat(blobNames(ours)).isEqualTo(blobNames(theirs)).hasSize(5);
        String inspect = Proc.ok(null, "skopeo", "inspect", "oci:" + ours + ":app:v1");
        assertThat(inspect).contains(result.manifestDigest().toString());
        for (var layer : layered.layers()) {
            assertThat(inspect).contains(layer.digest().toString());
        }
    }

    private static Set<String> blobNames(Path layout) throws IOException {
        try (Stream<Path> s = Files.list(layout.resolve("blobs/sha256"))) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    @Test
    void cutMidBlobIsResumedAndTheBlobStillVerified() throws Exception {
        proxy.inject("/blobs/" + big.manifest().layers().get(0).digest(), 1, new FaultProxy.CutAfter(700_000));
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            PullResult result = new Puller(store).pull(ref(proxy.host(), "test/big:v1"), options(3));
            assertThat(result.manifestDigest()).isEqualTo(big.manifest().digest());
            assertThat(proxy.requests().stream().filter(r -> r.headers().containsKey("range")).count())
                    .isEqualTo(1);
            store.unpack(result.name(), tmp.resolve("rootfs"));
            assertThat(tmp.resolve("rootfs/blob.bin")).hasSize(3 * 1024 * 1024 + 17);
        }
    }

    @Test
    void corruptedBlobFailsThePullAndNothingIsStoredUnderItsDigest() throws Exception {
        Digest layer = big.manifest().layers().get(0).digest();
        proxy.inject("/blobs/" + layer, 1, new FaultProxy.Corrupt(100_000));
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            assertThatThrownBy(() -> new Puller(store).pull(ref(proxy.host(), "test/big:v1"), options(3)))
                    .isInstanceOf(DigestMismatchException.class).hasMessageContaining(layer.toString());
            assertThat(store.content().exists(layer)).isFalse();
            assertThat(store.images().list()).isEmpty();
            assertThat(store.layers().list()).isEmpty();
        }
    }

    @Test
    void badPartialDataIsDiscardedAndTheBlobFetchedAgainFromTheStart() throws Exception {
        Digest layer = big.manifest().layers().get(0).digest();
        long size = big.manifest().layers().get(0).size();
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            try (var w = store.content().writer(layer, size)) {
                w.write(new byte[4096]); // zeros: not a prefix of the gzip stream; kept as partial by close()
            }
            PullResult result = new Puller(store).pull(ref(proxy.host(), "test/big:v1"), options(3));
            assertThat(result.downloaded()).contains(layer);
            List<FaultProxy.Seen> gets = proxy.requests().stream()
                    .filter(r -> r.requestLine().contains("/blobs/" + layer)).toList();
            assertThat(gets).hasSize(2);
            assertThat(gets.get(0).headers().get("range")).isEqualTo("bytes=4096-");
            assertThat(gets.get(1).headers()).doesNotContainKey("range");
            try (var in = store.content().open(layer, true)) {
                assertThat(in.readAllBytes()).hasSize((int) size);
            }
        }
    }

    @Test
    void interruptedPullKeepsItsPartialBlobAndTheNextPullResumesIt() throws Exception {
        Digest layer = big.manifest().layers().get(0).digest();
        long size = big.manifest().layers().get(0).size();
        proxy.inject("/blobs/" + layer, 1, new FaultProxy.CutAfter(700_000));
        ImageReference ref = ref(proxy.host(), "test/big:v1");
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            assertThatThrownBy(() -> new Puller(store).pull(ref, options(1)))
                    .isInstanceOf(UnavailableException.class).hasMessageContaining(layer.toString());
            assertThat(store.images().list()).isEmpty();
            assertThat(store.content().exists(layer)).isFalse();
            assertThat(store.content().exists(big.manifest().config().digest())).isTrue();

            events.clear();
            PullResult result = new Puller(store).pull(ref, options(1));
            assertThat(result.alreadyPresent()).containsExactly(big.manifest().config().digest());
            List<FaultProxy.Seen> gets = proxy.requests().stream()
                    .filter(r -> r.requestLine().contains("/blobs/" + layer)).toList();
            assertThat(gets).hasSize(2);
            String range = gets.get(1).headers().get("range");
            assertThat(range).matches("bytes=[0-9]+-");
            long resumedAt = Long.parseLong(range.substring(6, range.length() - 1));
            assertThat(resumedAt).isBetween(1L, 700_000L);
            assertThat(result.bytesDownloaded()).isEqualTo(size - resumedAt);
            assertThat(eventsOf(ProgressEvent.Downloading.class).get(0))
                    .isEqualTo(new ProgressEvent.Downloading(layer, resumedAt, size));
            try (var in = store.content().open(layer, true)) {
                assertThat(in.readAllBytes()).hasSize((int) size); // read to EOF: verified against its digest
            }
        }
    }

    private int indexOf(ProgressEvent e) {
        return events.indexOf(e);
    }

    @Test
    void layersAreRegisteredWhileALaterBlobStillDownloadsAndTheNextLayerAppliesAsItDownloads() throws Exception {
        Digest slow = more.layers().get(3).digest();
        proxy.inject("/blobs/" + slow, 1, new FaultProxy.Throttle(1024 * 1024));
        List<Boolean> lowerLayersStoredMidDownload = new CopyOnWriteArrayList<>();
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            Digest third = moreChain.get(2);
            PullOptions opts = options(3).withJobs(2).withListener(e -> {
                events.add(e);
                if (e instanceof ProgressEvent.Downloading d && d.digest().equals(slow) && d.bytes() > 512 * 1024
                        && d.bytes() < d.total()) {
                    try {
                        lowerLayersStoredMidDownload.add(store.layers().get(third).isPresent());
                    } catch (IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                }
            });
            PullResult result = new Puller(store).pull(ref(proxy.host(), "test/more:v1"), opts);
            assertThat(result.manifestDigest()).isEqualTo(more.digest());
            store.unpack(result.name(), tmp.resolve("rootfs"));
            assertThat(tmp.resolve("rootfs/noise.bin")).hasSize(1536 * 1024);
        }
        assertThat(lowerLayersStoredMidDownload).as("the first three layers were registered while the fourth "
                + "downloaded").isNotEmpty().contains(true);
        Digest first = more.layers().get(0).digest();
        assertThat(indexOf(new ProgressEvent.Extracting(first))).as("the base layer was applied as it downloaded")
                .isLessThan(indexOf(new ProgressEvent.Done(first))).isNotNegative();
    }

    @Test
    void estargzAndZstdChunkedLayersPullAsTheOrdinaryLayersTheyAlsoAre() throws Exception {
        // Throttled: the blobs arrive in many small reads, so member and frame boundaries fall between them.
        for (var layer : chunked.layers()) {
            proxy.inject("/blobs/" + layer.digest(), 1, new FaultProxy.Throttle(2 * 1024 * 1024));
        }
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            PullResult result = new Puller(store).pull(ref(proxy.host(), "test/chunked:v1"), options(3));
            store.unpack(result.name(), tmp.resolve("rootfs"));
        }
        Path rootfs = tmp.resolve("rootfs");
        assertThat(rootfs.resolve("f299")).hasContent("content of file 299" + "\n".repeat(299 % 7));
        assertThat(rootfs.resolve("stargz.index.json")).exists(); // a file of the layer, as for any legacy client
        assertThat(rootfs.resolve("z299")).hasContent("zstd file 299");
        try (var files = Files.list(rootfs)) {
            assertThat(files.count()).isEqualTo(601);
        }
        PullResult layout = Puller.pullToLayout(ref(proxy.host(), "test/chunked:v1"),
                ContentStore.open(tmp.resolve("layout")), "x", options(3));
        assertThat(layout.layers()).isEqualTo(chunked.layers()); // annotations and media types kept as they were
    }

    @Test
    void gcDuringAPullKeepsWhatThePullFetchedButHasNotRegisteredYet() throws Exception {
        Digest base = more.layers().get(0).digest();
        Digest noise = more.layers().get(3).digest();
        proxy.inject("/blobs/" + base, 1, new FaultProxy.Stall(1500)); // layers 1-3 arrive and wait for the base
        java.util.concurrent.atomic.AtomicReference<StoreGcResult> during = new java.util.concurrent.atomic
                .AtomicReference<>();
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            PullOptions opts = options(3).withJobs(4).withListener(e -> {
                events.add(e);
                if (e instanceof ProgressEvent.Done d && d.digest().equals(noise) && during.get() == null) {
                    try {
                        during.set(store.gc()); // blobs 1-3, config and manifest are stored, nothing names them
                    } catch (IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                }
            });
            PullResult result = new Puller(store).pull(ref(proxy.host(), "test/more:v1"), opts);
            assertThat(during.get()).as("gc ran while the base layer was still on its way").isNotNull();
            assertThat(indexOf(new ProgressEvent.Done(noise))).isLessThan(indexOf(new ProgressEvent.Done(base)));
            assertThat(during.get().content().removed()).as("nothing the pull needs was collected").isEmpty();
            store.unpack(result.name(), tmp.resolve("rootfs"));
            assertThat(tmp.resolve("rootfs/noise.bin")).hasSize(1536 * 1024);
            assertThat(store.gc().content().removed()).as("the named image keeps them afterwards").isEmpty();
        }
    }

    @Test
    void storedChainsAreNotDownloadedEvenWhenTheirBlobsAreGone() throws Exception {
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            new Puller(store).pull(ref(proxy.host(), "test/layered:v1"), options(3));
            for (var layer : layered.layers()) {
                assertThat(store.content().delete(layer.digest())).isTrue(); // as a content gc might have
            }
            events.clear();
            PullResult result = new Puller(store).pull(ref(proxy.host(), "test/more:v1"), options(3));

            for (var layer : more.layers().subList(0, 3)) {
                assertThat(proxy.count("/blobs/" + layer.digest())).as("requests for stored layer %s",
                        layer.digest()).isEqualTo(1); // the first pull's, no HEAD or GET since
                assertThat(events).contains(new ProgressEvent.AlreadyExists(layer.digest()));
            }
            assertThat(proxy.count("GET /v2/test/more/blobs/" + more.layers().get(3).digest())).isEqualTo(1);
            assertThat(result.alreadyPresent()).containsAll(more.layers().subList(0, 3).stream()
                    .map(l -> l.digest()).toList());
            assertThat(result.downloaded()).containsExactly(more.config().digest(), more.layers().get(3).digest());
            assertThat(store.layers().list()).hasSize(4);
            Digest top = store.topLayer(result.name()).orElseThrow();
            Path dir = store.layers().mount(top);
            try {
                assertThat(dir.resolve("app.txt")).hasContent("app");
                assertThat(dir.resolve("noise.bin")).hasSize(1536 * 1024);
                assertThat(dir.resolve("etc/gone")).doesNotExist();
            } finally {
                store.layers().unmount(top);
            }
        }
    }

    @Test
    void failureMidwayRemovesTheLayersThisPullRegisteredAndNothingElse() throws Exception {
        Digest bad = more.layers().get(3).digest();
        try (Store store = TestStores.openPlain(tmp.resolve("store"))) {
            proxy.inject("/blobs/" + bad, 1, new FaultProxy.Corrupt(200_000));
            assertThatThrownBy(() -> new Puller(store).pull(ref(proxy.host(), "test/more:v1"), options(3).withJobs(1)))
                    .isInstanceOf(DigestMismatchException.class).hasMessageContaining(bad.toString());
            assertThat(eventsOf(ProgressEvent.Extracting.class)).extracting(ProgressEvent::digest)
                    .as("three layers were registered before the failure")
                    .containsSequence(more.layers().subList(0, 3).stream().map(l -> l.digest()).toList());
            assertThat(store.layers().list()).isEmpty();
            assertThat(store.driver().layers()).isEmpty();
            assertThat(store.images().list()).isEmpty();
            assertThat(store.content().exists(bad)).isFalse();

            new Puller(store).pull(ref(proxy.host(), "test/layered:v1"), options(3));
            proxy.inject("/blobs/" + bad, 1, new FaultProxy.Corrupt(200_000));
            assertThatThrownBy(() -> new Puller(store).pull(ref(proxy.host(), "test/more:v1"), options(3)))
                    .isInstanceOf(DigestMismatchException.class);
            assertThat(store.layers().list()).as("the layers of the image pulled before stay").hasSize(3);
            assertThat(store.driver().layers()).hasSize(3);
            assertThat(store.layers().prune()).isEmpty();
        }
    }
}
