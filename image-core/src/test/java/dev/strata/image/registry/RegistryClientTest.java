package dev.strata.image.registry;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.NotFoundException;
import dev.strata.image.UnavailableException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.FaultProxy;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pull side of RegistryClient against a real docker-registry: manifests, indexes, blobs, resume, faults, retries. */
class RegistryClientTest {
    private static final Platform AMD64 = new Platform("linux", "amd64");
    private static final Platform ARM64 = new Platform("linux", "arm64", "v8");

    @TempDir
    static Path tmp;
    static TestRegistry registry;
    static OciImages.Image app;
    static OciImages.Image big;
    static OciImages.Image arm;
    static ImageIndex multi;

    FaultProxy proxy;

    @BeforeAll
    static void startRegistry() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.start(tmp.resolve("registry"));
        app = OciImages.image(AMD64, Map.of("hello.txt", "hello from strata\n"));
        OciImages.writeLayout(tmp.resolve("app"), "v1", app);
        registry.seed(tmp.resolve("app"), "v1", "test/app", "v1", false);

        byte[] random = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(random);
        // A real gzip stream: skopeo looks into layers it copies.
        big = OciImages.image(AMD64, OciImages.gzip(random), Digest.sha256(random));
        OciImages.writeLayout(tmp.resolve("big"), "v1", big);
        registry.seed(tmp.resolve("big"), "v1", "test/big", "v1", false);

        arm = OciImages.image(ARM64, Map.of("arch", "arm64\n"));
        multi = OciImages.writeMultiPlatform(tmp.resolve("multi"), "latest", List.of(app, arm), List.of(AMD64, ARM64));
        registry.seed(tmp.resolve("multi"), "latest", "test/multi", "latest", true);
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

    private static RegistryOptions fastRetries(int attempts) {
        return RegistryOptions.anonymous().withRetryPolicy(new RetryPolicy(attempts, Duration.ofMillis(5),
                Duration.ofMillis(20), Duration.ofSeconds(5)));
    }

    private RegistryClient direct() {
        return RegistryClient.create(registry.host(), fastRetries(3));
    }

    private RegistryClient viaProxy(int attempts) {
        return RegistryClient.create(proxy.host(), fastRetries(attempts));
    }

    private static Descriptor bigLayer() {
        return big.manifest().layers().get(0);
    }

    @Test
    void pingAnswersOnLoopbackOverPlainHttp() {
        RegistryClient client = direct();
        client.ping();
        assertThat(client.baseUri().toString()).isEqualTo("http://" + registry.host());
    }

    @Test
    void manifestByTagHasTheExactBytesSkopeoPushed() {
        ManifestResponse m = direct().getManifest("test/app", "v1");
        assertThat(m.raw()).isEqualTo(app.manifest().raw());
        assertThat(m.digest()).isEqualTo(app.manifest().digest());
        assertThat(m.mediaType()).isEqualTo(MediaType.OCI_MANIFEST);
        assertThat(m.document()).isInstanceOf(ImageManifest.class);
    }

    @Test
    void manifestByDigestIsVerified() {
        Digest digest = app.manifest().digest();
        ManifestResponse m = direct().getManifest("test/app", digest.toString());
        assertThat(m.digest()).isEqualTo(digest);
        assertThat(((ImageManifest) m.document()).layers()).isEqualTo(app.manifest().layers());
    }

    @Test
    void multiPlatformIndexSelectsTheArmManifest() {
        RegistryClient client = direct();
        ManifestResponse top = client.getManifest("test/multi", "latest");
        assertThat(top.document()).isInstanceOf(ImageIndex.class);
        assertThat(top.digest()).isEqualTo(multi.digest());
        Descriptor chosen = ((ImageIndex) top.document()).select(Platform.parse("linux/arm64"));
        ManifestResponse armManifest = client.getManifest("test/multi", chosen.digest().toString());
        assertThat(armManifest.raw()).isEqualTo(arm.manifest().raw());
    }

    @Test
    void headManifestAndHeadBlobReportPresenceAndSize() {
        RegistryClient client = direct();
        Descriptor d = client.headManifest("test/app", "v1").orElseThrow();
        assertThat(d.digest()).isEqualTo(app.manifest().digest());
        assertThat(d.size()).isEqualTo(app.manifest().size());
        assertThat(d.mediaType()).isEqualTo(MediaType.OCI_MANIFEST);
        assertThat(client.headManifest("test/app", "nope")).isEmpty();
        assertThat(client.headBlob("test/big", bigLayer().digest())).hasValue(bigLayer().size());
        assertThat(client.headBlob("test/big", Digest.sha256(new byte[]{1}))).isEmpty();
    }

    @Test
    void unknownManifestAndRepositoryAreNotFound() {
        RegistryClient client = direct();
        assertThatThrownBy(() -> client.getManifest("test/app", "missing"))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("MANIFEST_UNKNOWN");
        assertThatThrownBy(() -> client.getManifest("test/nothing-here", "v1"))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("_UNKNOWN");
        assertThatThrownBy(() -> client.fetchBlob("test/app", new Descriptor(MediaType.OCI_LAYER,
                Digest.sha256(new byte[]{9}), 1)).readAllBytes())
                .isInstanceOf(NotFoundException.class).hasMessageContaining("BLOB_UNKNOWN");
    }

    @Test
    void blobIsStreamedAndVerified() throws Exception {
        try (InputStream in = direct().fetchBlob("test/big", bigLayer())) {
            assertThat(Digest.sha256(in.readAllBytes())).isEqualTo(bigLayer().digest());
        }
    }

    @Test
    void openBlobFromAnOffsetUsesRange() throws Exception {
        byte[] whole = big.layers().get(0);
        try (InputStream in = viaProxy(1).openBlob("test/big", bigLayer(), 1000)) {
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(whole, 1000, whole.length));
        }
        assertThat(proxy.requests()).anySatisfy(s -> assertThat(s.headers().get("range")).isEqualTo("bytes=1000-"));
    }

    @Test
    void cutConnectionIsResumedWithRangeAndVerifiedOverTheWholeBlob() throws Exception {
        proxy.inject("/blobs/", 1, new FaultProxy.CutAfter(700_000));
        proxy.inject("/blobs/", 1, new FaultProxy.CutAfter(1_000_000));
        byte[] got;
        try (InputStream in = viaProxy(4).fetchBlob("test/big", bigLayer())) {
            got = in.readAllBytes();
        }
        assertThat(got).isEqualTo(big.layers().get(0));
        List<FaultProxy.Seen> gets = proxy.requests().stream().filter(s -> s.requestLine().startsWith("GET"))
                .toList();
        assertThat(gets).hasSize(3);
        assertThat(gets.get(0).headers()).doesNotContainKey("range");
        // Each resume starts where the bytes that arrived end: at most at the cut (a reset may lose a little).
        long first = rangeStart(gets.get(1));
        long second = rangeStart(gets.get(2));
        assertThat(first).isBetween(1L, 700_000L);
        assertThat(second).isBetween(first + 1, first + 1_000_000L);
    }

    private static long rangeStart(FaultProxy.Seen request) {
        String range = request.headers().get("range");
        assertThat(range).matches("bytes=[0-9]+-");
        return Long.parseLong(range.substring(6, range.length() - 1));
    }

    @Test
    void corruptedByteIsADigestMismatchAndIsNotRetried() {
        proxy.inject("/blobs/", 1, new FaultProxy.Corrupt(12345));
        assertThatThrownBy(() -> {
            try (InputStream in = viaProxy(4).fetchBlob("test/big", bigLayer())) {
                in.readAllBytes();
            }
        }).isInstanceOf(DigestMismatchException.class).hasMessageContaining(bigLayer().digest().toString());
        assertThat(proxy.count("/blobs/")).isEqualTo(1);
    }

    @Test
    void manifestBytesChangedInTransitFailByDigest() {
        proxy.inject("/manifests/", 1, new FaultProxy.Corrupt(30));
        Digest digest = app.manifest().digest();
        assertThatThrownBy(() -> viaProxy(3).getManifest("test/app", digest.toString()))
                .isInstanceOf(DigestMismatchException.class);
    }

    @Test
    void serviceUnavailableWithRetryAfterIsRetriedAfterTheAskedDelay() {
        proxy.inject("/manifests/", 1, new FaultProxy.Respond(503, Map.of("Retry-After", "1"), ""));
        proxy.inject("/manifests/", 1, new FaultProxy.Respond(500, Map.of(),
                "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"boom\"}]}"));
        long start = System.nanoTime();
        ManifestResponse m = viaProxy(3).getManifest("test/app", "v1");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(m.digest()).isEqualTo(app.manifest().digest());
        assertThat(proxy.count("/manifests/")).isEqualTo(3);
        assertThat(elapsedMs).isGreaterThanOrEqualTo(950);
    }

    @Test
    void tooManyRequestsUntilAttemptsRunOutIsUnavailable() {
        proxy.inject("/manifests/", 100, new FaultProxy.Respond(429, Map.of(),
                "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}"));
        assertThatThrownBy(() -> viaProxy(3).getManifest("test/app", "v1"))
                .isInstanceOf(UnavailableException.class).hasMessageContaining("TOOMANYREQUESTS")
                .hasMessageContaining("slow down");
        assertThat(proxy.count("/manifests/")).isEqualTo(3);
    }

    @Test
    void stalledResponseTimesOutAndIsRetried() {
        proxy.inject("/manifests/", 1, new FaultProxy.Stall(3000));
        RegistryClient client = RegistryClient.create(proxy.host(), fastRetries(2)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500)));
        assertThat(client.getManifest("test/app", "v1").digest()).isEqualTo(app.manifest().digest());
        assertThat(proxy.count("/manifests/")).isEqualTo(2);
    }

    @Test
    void closedPortIsUnavailableAfterTheConfiguredAttempts() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        RegistryClient client = RegistryClient.create("127.0.0.1:" + port, fastRetries(2));
        assertThatThrownBy(client::ping).isInstanceOf(UnavailableException.class)
                .hasMessageContaining("after 2 attempt");
    }
}
