package dev.strata.image.store;

import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Names → images, persisted in images.json, replace and remove. */
class ImageStoreTest {
    @TempDir
    Path root;

    @Test
    void putReplaceRemoveAndReload() throws IOException {
        ImageStore images = new ImageStore(root.resolve("images.json"), StoreLock.forRoot(root));
        Digest m1 = Digest.sha256(new byte[] {1});
        Digest m2 = Digest.sha256(new byte[] {2});
        Digest c = Digest.sha256(new byte[] {3});
        assertThat(images.put(new ImageRecord("b:1", m1, c))).isEmpty();
        assertThat(images.put(new ImageRecord("a:1", m1, c))).isEmpty();
        assertThat(images.put(new ImageRecord("b:1", m2, c))).contains(new ImageRecord("b:1", m1, c));
        ImageStore reloaded = new ImageStore(root.resolve("images.json"), StoreLock.forRoot(root));
        assertThat(reloaded.list()).containsExactly(new ImageRecord("a:1", m1, c), new ImageRecord("b:1", m2, c));
        assertThat(reloaded.remove("a:1")).isPresent();
        assertThat(reloaded.remove("a:1")).isEmpty();
        assertThat(images.get("b:1").orElseThrow().manifest()).isEqualTo(m2);
        assertThat(Files.readString(root.resolve("images.json"))).contains("b:1").doesNotContain("a:1");
    }
}
