package dev.strata.image.store;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.testing.PlainDirDriver;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Store.mount/unmount/mounts: counts persisted in mounts.json across opens, pinning of layers, reconcile on open. */
class StoreMountTest {
    private static final List<byte[]> LAYERS = List.of(
            new TarBuilder().dir("etc").file("etc/os", "base").end().bytes(),
            new TarBuilder().file("etc/app", "app").end().bytes());
    private static final List<byte[]> OTHER = List.of(new TarBuilder().file("other", "o").end().bytes());

    @TempDir
    Path tmp;
    Path root;
    Store store;

    @BeforeEach
    void open() throws IOException {
        root = tmp.resolve("store");
        store = reopen();
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    private Store reopen() throws IOException {
        return Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
    }

    @Test
    void mountCountsPersistAcrossOpensAndTheLastUnmountReleases() throws IOException {
        ImageManifest m = TestImages.write(store.content(), LAYERS);
        store.addImage("app", m.digest());
        Path path = store.mount("app");
        assertThat(path.resolve("etc/app")).hasContent("app");
        assertThat(path.resolve("etc/os")).hasContent("base");
        assertThat(store.mount("app")).isEqualTo(path);
        Digest top = store.topLayer("app").orElseThrow();
        assertThat(store.mounts()).containsExactly(new ImageMount("app", top, path, 2));
        assertThat(Files.readString(root.resolve("mounts.json"))).contains("\"app\"", top.toString(), "\"count\" : 2");

        store.close();
        store = reopen(); // like another process
        assertThat(store.mounts()).containsExactly(new ImageMount("app", top, path, 2));
        assertThat(store.unmount(path.toString())).isEqualTo(1);
        store.close();
        store = reopen();
        assertThat(store.mounts()).extracting(ImageMount::count).containsExactly(1);
        assertThat(store.unmount("app")).isZero();
        assertThat(store.mounts()).isEmpty();
        assertThatThrownBy(() -> store.unmount("app")).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("nothing is mounted");
        assertThat(store.layers().get(top)).as("still the named image's").isPresent();
        assertThat(store.layers().inUse(top)).isTrue();
    }

    @Test
    void aMountedImageCannotBeRemovedAndKeepsItsLayersWhenItsNameMoves() throws IOException {
        ImageManifest first = TestImages.write(store.content(), LAYERS);
        ImageManifest second = TestImages.write(store.content(), OTHER);
        store.addImage("app", first.digest());
        Digest oldTop = store.topLayer("app").orElseThrow();
        Path path = store.mount("app");
        assertThatThrownBy(() -> store.removeImage("app")).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining(path.toString()).hasMessageContaining("app");
        assertThat(store.images().get("app")).isPresent();

        store.addImage("app", second.digest()); // the name moves; the mounted layers must stay
        assertThat(store.layers().inUse(oldTop)).as("held by the mount alone").isTrue();
        store.gc();
        assertThat(store.layers().get(oldTop)).isPresent();
        assertThat(path.resolve("etc/app")).hasContent("app");
        assertThatThrownBy(() -> store.mount("app")).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining(oldTop.toString());

        assertThat(store.unmount("app")).isZero();
        assertThat(store.layers().get(oldTop)).as("released with the last unmount").isEmpty();
        assertThat(store.layers().list()).hasSize(1);
        for (var r : store.layers().list()) {
            assertThat(store.layers().inUse(r.chainId())).as("the new image's layer").isTrue();
        }
        Path again = store.mount("app");
        assertThat(again.resolve("other")).hasContent("o");
        store.unmount("app");
        store.removeImage("app");
        assertThat(store.layers().list()).isEmpty();
    }

    @Test
    void openDropsRecordsWhoseLayerIsGone() throws IOException {
        ImageManifest m = TestImages.write(store.content(), LAYERS);
        store.addImage("app", m.digest());
        Path path = store.mount("app");
        store.close();
        String json = Files.readString(root.resolve("mounts.json"));
        Digest missing = Digest.sha256(new byte[] {1});
        Files.writeString(root.resolve("mounts.json"), json.replace("[ {", "[ {\"name\":\"ghost\",\"layer\":\""
                + missing + "\",\"path\":\"/nowhere\",\"count\":3}, {"));
        assertThat(Files.readString(root.resolve("mounts.json"))).contains("ghost");
        store = reopen();
        assertThat(store.mounts()).extracting(ImageMount::name).containsExactly("app");
        assertThat(Files.readString(root.resolve("mounts.json"))).doesNotContain("ghost");
        assertThat(store.mounts().get(0).path()).isEqualTo(path);
        store.unmount("app");
    }

    @Test
    void unknownImagesAndImagesWithoutLayersAreRefused() throws IOException {
        assertThatThrownBy(() -> store.mount("nope")).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("nope");
        ImageManifest empty = TestImages.write(store.content(), List.of());
        store.addImage("empty", empty.digest());
        assertThatThrownBy(() -> store.mount("empty")).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("no layers");
        assertThatThrownBy(() -> store.unmount("/no/such/path")).isInstanceOf(NotFoundException.class);
        assertThat(store.mounts()).isEmpty();
    }
}
