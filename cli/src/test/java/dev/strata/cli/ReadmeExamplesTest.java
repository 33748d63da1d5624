package dev.strata.cli;

import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.model.ManifestDocument;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.Platform;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.PullOptions;
import dev.strata.image.registry.Puller;
import dev.strata.image.registry.RegistryOptions;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestRegistry;
import dev.strata.image.transport.CopyOptions;
import dev.strata.image.transport.ImageCopier;
import dev.strata.image.transport.ImageDestination;
import dev.strata.image.transport.ImageLocation;
import dev.strata.image.transport.ImageSource;
import dev.strata.image.transport.Transports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's library snippets, as they are written there, run against a real registry. */
class ReadmeExamplesTest {
    @TempDir
    Path tmp;

    @Test
    void theSnippetsRunAsWritten() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        OciImages.Image image = OciImages.image(new Platform("linux", "amd64"), Map.of("hello", "readme\n"));
        OciImages.writeLayout(tmp.resolve("seed"), "app", image);
        try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"))) {
            registry.seed(tmp.resolve("seed"), "app", "library/busybox", "latest", false);
            registry.seed(tmp.resolve("seed"), "app", "app", "1", false);
            String host = registry.host();
            Path blob = Files.write(tmp.resolve("layer.tar"), new TarBuilder().file("etc/motd", "hi").end().bytes());
            Path rootfs = Files.createDirectory(tmp.resolve("applied"));
            byte[] manifestBytes = image.manifest().raw();
            Path storeRoot = tmp.resolve("store");
            Path cwd = tmp.resolve("cwd");
            Files.createDirectories(cwd);

            // --- README: Apply a layer blob ---
            try (InputStream in = Files.newInputStream(blob)) {
                ApplyResult r = new LayerApplier().apply(in, rootfs);
                System.out.println(r.diffId());
            }
            // --- README: Parse a manifest strictly ---
            ManifestDocument doc = Manifests.parse(manifestBytes, "application/vnd.oci.image.manifest.v1+json");
            // --- README: Pull into a store and unpack (host and paths adapted to this test) ---
            try (Store store = Store.open(storeRoot, StoreOptions.defaults().withDriver("vfs"))) {
                ImageReference ref = ImageReference.parse(host + "/library/busybox:latest");
                new Puller(store).pull(ref, PullOptions.defaults());
                store.unpack(ref.toString(), cwd.resolve("rootfs"));
            }
            // --- README: Copy between any two transports ---
            Transports transports = new Transports(RegistryOptions.defaults(), null);
            try (ImageSource src = transports.source(ImageLocation.parse("docker://" + host + "/app:1",
                         ImageLocation.Bare.REGISTRY));
                 ImageDestination dest = transports.destination(ImageLocation.parse("oci:" + cwd.resolve("layout")
                         + ":app", ImageLocation.Bare.REGISTRY), "app")) {
                ImageCopier.copy(src, dest, CopyOptions.defaults());
            }

            assertThat(Files.readString(rootfs.resolve("etc/motd"))).isEqualTo("hi");
            assertThat(doc.digest()).isEqualTo(image.manifest().digest());
            assertThat(Files.readString(cwd.resolve("rootfs/hello"))).isEqualTo("readme\n");
            assertThat(cwd.resolve("layout/index.json")).exists();
        }
    }
}
