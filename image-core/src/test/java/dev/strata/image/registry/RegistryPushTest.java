package dev.strata.image.registry;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Push side of RegistryClient against a real docker-registry, read back with skopeo: uploads, mounts, manifests. */
class RegistryPushTest {
    static TestRegistry registry;
    static RegistryClient client;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.start(tmp.resolve("registry"));
        client = RegistryClient.create(registry.host(), RegistryOptions.anonymous().withRetryPolicy(
                new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(5))));
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private static Descriptor descriptorOf(String mediaType, byte[] content) {
        return new Descriptor(mediaType, Digest.sha256(content), content.length);
    }

    @Test
    void pushedImageIsReadBackBySkopeo() {
        byte[] random = new byte[300_000];
        new Random(7).nextBytes(random);
        OciImages.Image image = OciImages.image(new Platform("linux", "amd64"), OciImages.gzip(random),
                Digest.sha256(random));
        byte[] config = image.config();
        byte[] layer = image.layers().get(0);

        assertThat(client.pushBlob("pushed/app", image.configDescriptor(), () -> new ByteArrayInputStream(config)))
                .isTrue();
        // The layer goes up in 64 KiB chunks, then the session is completed with its digest.
        BlobUpload upload = client.startUpload("pushed/app");
        for (int off = 0; off < layer.length; off += 65536) {
            upload = client.uploadChunk(upload, layer, off, Math.min(65536, layer.length - off));
        }
        assertThat(upload.offset()).isEqualTo(layer.length);
        client.finishUpload(upload, image.manifest().layers().get(0).digest());
        Digest pushed = client.putManifest("pushed/app", "v1", image.manifest().raw(), MediaType.OCI_MANIFEST);

        assertThat(pushed).isEqualTo(image.manifest().digest());
        assertThat(registry.inspectRaw("pushed/app", "v1").getBytes(StandardCharsets.UTF_8))
                .isEqualTo(image.manifest().raw());
        assertThat(registry.inspect("pushed/app", "v1"))
                .contains("\"Digest\": \"" + image.manifest().digest() + "\"")
                .contains("\"" + image.manifest().layers().get(0).digest() + "\"");
        assertThat(client.headBlob("pushed/app", image.manifest().layers().get(0).digest())).hasValue(layer.length);
    }

    @Test
    void existingBlobIsNotSentAgain() {
        byte[] blob = "already there".getBytes(StandardCharsets.UTF_8);
        Descriptor d = descriptorOf(MediaType.OCI_LAYER, blob);
        assertThat(client.pushBlob("pushed/twice", d, () -> new ByteArrayInputStream(blob))).isTrue();
        assertThat(client.pushBlob("pushed/twice", d, () -> new ByteArrayInputStream(blob))).isFalse();
    }

    @Test
    void crossRepositoryMountLinksAnExistingBlob() {
        byte[] blob = "mount me".getBytes(StandardCharsets.UTF_8);
        Descriptor d = descriptorOf(MediaType.OCI_LAYER, blob);
        client.pushBlob("mount/source", d, () -> new ByteArrayInputStream(blob));
        assertThat(client.headBlob("mount/target", d.digest())).isEmpty();
        assertThat(client.mountBlob("mount/target", d.digest(), "mount/source")).isTrue();
        assertThat(client.headBlob("mount/target", d.digest())).hasValue(blob.length);
        assertThat(client.mountBlob("mount/target", Digest.sha256(new byte[]{42}), "mount/source")).isFalse();
    }

    @Test
    void blobWhoseBytesDoNotMatchTheDigestIsRejected() {
        byte[] blob = "these bytes".getBytes(StandardCharsets.UTF_8);
        Digest claimed = Digest.sha256("other bytes".getBytes(StandardCharsets.UTF_8));
        BlobUpload upload = client.startUpload("pushed/bad");
        assertThatThrownBy(() -> client.uploadMonolithic(upload, claimed, blob.length,
                () -> new ByteArrayInputStream(blob)))
                .isInstanceOf(DigestMismatchException.class).hasMessageContaining("DIGEST_INVALID");
    }

    @Test
    void manifestWithMissingBlobsIsRejected() {
        OciImages.Image image = OciImages.image(new Platform("linux", "amd64"), Map.of("x", "y"));
        assertThatThrownBy(() -> client.putManifest("pushed/incomplete", "v1", image.manifest().raw(),
                MediaType.OCI_MANIFEST)).isInstanceOf(NotFoundException.class).hasMessageContaining("BLOB_UNKNOWN");
    }

    @Test
    void indexIsPushedByDigestAndFetchedBack() {
        OciImages.Image image = OciImages.image(new Platform("linux", "arm64"), Map.of("a", "b"));
        client.pushBlob("pushed/multi", image.configDescriptor(), () -> new ByteArrayInputStream(image.config()));
        client.pushBlob("pushed/multi", image.manifest().layers().get(0),
                () -> new ByteArrayInputStream(image.layers().get(0)));
        client.putManifest("pushed/multi", image.manifest().digest().toString(), image.manifest().raw(),
                MediaType.OCI_MANIFEST);
        ImageIndex index = ImageIndex.create(MediaType.OCI_INDEX, List.of(image.manifest().descriptor()
                .withPlatform(new Platform("linux", "arm64"))), Map.of());
        client.putManifest("pushed/multi", "latest", index.raw(), MediaType.OCI_INDEX);

        ManifestResponse back = client.getManifest("pushed/multi", "latest");
        assertThat(back.raw()).isEqualTo(index.raw());
        assertThat(registry.inspectRaw("pushed/multi", "latest").getBytes(StandardCharsets.UTF_8))
                .isEqualTo(index.raw());
    }
}
