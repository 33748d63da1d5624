package dev.strata.driver.vfs;

import dev.strata.image.driver.GraphDriverConformanceTest;
import dev.strata.image.driver.GraphDriverProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The driver conformance suite on the VFS driver, plus its own crash leftovers and its cached layer listing. */
class VfsDriverConformanceTest extends GraphDriverConformanceTest {
    @Override
    protected GraphDriverProvider provider() {
        return new VfsDriverProvider();
    }

    @Test
    void openRemovesWhatAnInterruptedCreateOrRemoveLeft() throws IOException {
        driver.create("kept", null);
        Path home = driver.home();
        driver.close();
        Files.createDirectories(home.resolve("dir/half.tmp-1234/sub"));
        Files.writeString(home.resolve("dir/half.tmp-1234/sub/f"), "partial");
        Files.createDirectories(home.resolve("dir/gone.tmp-removing-99"));
        Files.writeString(home.resolve("parent/orphan"), "kept");
        Files.writeString(home.resolve("parent/x.tmp-5"), "");
        driver = dev.strata.image.driver.NaiveDiff.wrap(VfsDriver.open(home));
        assertThat(driver.layers()).containsExactly("kept");
        try (var s = Files.list(home.resolve("dir"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("kept");
        }
        try (var s = Files.list(home.resolve("parent"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("kept");
        }
        assertThat((Integer) Files.getAttribute(home.resolve("dir"), "unix:mode") & 0777).isEqualTo(0700);
    }

    @Test
    void statusNamesTheDriverAndCountsLayers() throws IOException {
        driver.create("a", null);
        Map<String, String> status = driver.status();
        assertThat(status).containsEntry("Driver", "vfs").containsEntry("Layers", "1")
                .containsKey("Backing Filesystem");
    }

    @Test
    void cachedLayerListingSeesLayersAnotherProcessAddedOrRemoved() throws Exception {
        driver.create("a", null);
        driver.create("b", null);
        Path dirs = driver.home().resolve("dir");
        assertThat(driver.layers()).containsExactly("a", "b");
        Thread.sleep(2100); // past the racy window: this listing is kept and reused
        assertThat(driver.layers()).containsExactly("a", "b");
        assertThat(driver.layers()).containsExactly("a", "b");
        Files.createDirectory(dirs.resolve("c")); // as another process sharing the home would
        assertThat(driver.layers()).containsExactly("a", "b", "c");
        Files.delete(dirs.resolve("a"));
        assertThat(driver.layers()).containsExactly("b", "c");
        driver.create("d", null);
        assertThat(driver.layers()).containsExactly("b", "c", "d");
    }
}
