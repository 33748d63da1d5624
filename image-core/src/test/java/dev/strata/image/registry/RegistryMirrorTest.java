package dev.strata.image.registry;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.reference.ImageReference;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** registries.conf mirrors against a real docker-registry on loopback, with a corrupting mirror in front of it. */
class RegistryMirrorTest {
    @TempDir
    static Path shared;
    static TestRegistry registry;
    static ImageManifest image;
    static Digest manifestDigest;

    @TempDir
    Path tmp;
    /** A mirror: the same registry behind a proxy that can corrupt or refuse what it forwards. */
    FaultProxy mirror;
    final List<String> warnings = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.start(shared.resolve("registry"));
        Path layout = shared.resolve("layout");
        ContentStore content = ContentStore.open(layout);
        image = TestImages.write(content, List.of(
                new TarBuilder().dir("etc").file("etc/os-release", "mirror test\n").end().bytes(),
                new TarBuilder().file("app.txt", "app\n".repeat(50_000)).end().bytes()));
        content.tag("v1", image.descriptor());
        registry.seed(layout, "v1", "test/app", "v1", false);
        manifestDigest = image.descriptor().digest();
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void startMirror() throws Exception {
        mirror = new FaultProxy(registry.port());
    }

    @AfterEach
    void stopMirror() throws Exception {
        mirror.close();
    }

    private PullOptions options(String conf) {
        RegistryOptions registryOptions = RegistryOptions.anonymous()
                .withRetryPolicy(new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(1)))
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10))
                .withRegistriesConf(RegistriesConf.parse(conf, "test.conf"))
                .withNotices(e -> {
                    if (e instanceof ProgressEvent.Warning w) {
                        warnings.add(w.message());
                    }
                });
        return PullOptions.defaults().withPlatform(new Platform("linux", "amd64")).withRegistry(registryOptions);
    }

    private PullResult pull(String ref, String conf) throws Exception {
        return Puller.pullToLayout(ImageReference.parse(ref), ContentStore.open(tmp.resolve("out")), "x",
                options(conf));
    }

    @Test
    void mirrorServesAPullWhosePrimaryDoesNotResolve() throws Exception {
        PullResult r = pull("unresolvable.invalid/test/app:v1", """
                [[registry]]
                prefix = "unresolvable.invalid"
                [[registry.mirror]]
                location = "%s"
                """.formatted(mirror.host()));
        assertThat(r.manifestDigest()).isEqualTo(manifestDigest);
        assertThat(r.downloaded()).hasSize(3);
        assertThat(mirror.count("/v2/test/app/manifests/v1")).isEqualTo(1);
        assertThat(warnings).isEmpty();
    }

    @Test
    void aMirrorThatFailsFallsThroughToTheNextSourceWithAWarning() throws Exception {
        // The first mirror refuses everything; the second is the registry itself.
        mirror.inject("/v2/", 1000, new FaultProxy.Respond(503, java.util.Map.of(), "down"));
        PullResult r = pull("unresolvable.invalid/test/app:v1", """
                [[registry]]
                prefix = "unresolvable.invalid"
                [[registry.mirror]]
                location = "%s"
                [[registry.mirror]]
                location = "%s"
                """.formatted(mirror.host(), registry.host()));
        assertThat(r.manifestDigest()).isEqualTo(manifestDigest);
        assertThat(warnings).isNotEmpty().allMatch(w -> w.contains("mirror " + mirror.host()));
    }

    @Test
    void aCorruptedBlobFromAMirrorIsNeverAcceptedAndThePrimaryServesIt() throws Exception {
        Digest layer = image.layers().get(1).digest();
        mirror.inject("/blobs/" + layer, 1000, new FaultProxy.Corrupt(100));
        PullResult r = pull(registry.host() + "/test/app:v1", """
                [[registry]]
                prefix = "%s"
                [[registry.mirror]]
                location = "%s"
                """.formatted(registry.host(), mirror.host()));
        assertThat(r.downloaded()).contains(layer);
        // the mirror's bytes were read and refused; the content store holds the right bytes (commit verifies)
        assertThat(mirror.count("GET /v2/test/app/blobs/" + layer)).isEqualTo(1);
        assertThat(warnings).isEmpty(); // no open failure: the mismatch is the download's, reported as an error
        assertThat(ContentStore.open(tmp.resolve("out")).exists(layer)).isTrue();
    }

    @Test
    void mirrorByDigestOnlyKeepsTagPullsOnThePrimary() throws Exception {
        String conf = """
                [[registry]]
                prefix = "%s"
                mirror-by-digest-only = true
                [[registry.mirror]]
                location = "%s"
                """.formatted(registry.host(), mirror.host());
        pull(registry.host() + "/test/app:v1", conf);
        assertThat(mirror.requests()).isEmpty();
        PullResult r = Puller.pullToLayout(ImageReference.parse(registry.host() + "/test/app@" + manifestDigest),
                ContentStore.open(tmp.resolve("by-digest")), "x", options(conf));
        assertThat(r.manifestDigest()).isEqualTo(manifestDigest);
        assertThat(mirror.count("/manifests/" + manifestDigest)).isEqualTo(1);
    }

    @Test
    void blockedRegistryIsRefused() {
        assertThatThrownBy(() -> pull(registry.host() + "/test/app:v1", """
                [[registry]]
                location = "%s"
                blocked = true
                """.formatted(registry.host())))
                .isInstanceOf(FailedPreconditionException.class).hasMessageContaining("blocked");
    }

    @Test
    void locationRewritesThePrefix() throws Exception {
        PullResult r = pull("example.invalid/foo/app:v1", """
                [[registry]]
                prefix = "example.invalid/foo"
                location = "%s/test"
                """.formatted(registry.host()));
        assertThat(r.manifestDigest()).isEqualTo(manifestDigest);
    }
}
