package dev.strata.driver.vfs;

import dev.strata.image.driver.GraphDriverConformanceTest;
import dev.strata.image.driver.GraphDriverProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The driver conformance suite on the VFS driver, plus its own crash leftovers. */
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
}
