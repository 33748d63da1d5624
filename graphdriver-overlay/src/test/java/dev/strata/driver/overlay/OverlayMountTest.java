package dev.strata.driver.overlay;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.driver.Probe;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.fs.FileType;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.TarBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real overlay mounts of 1 to 500 lowers with both mount APIs: every layer's file is visible, whiteouts and opaque
 * directories hide lower content, overlay bookkeeping stays invisible, and the limits fail with clear errors.
 */
class OverlayMountTest {
    @TempDir
    Path tmp;
    private OverlayDriver driver;

    @BeforeEach
    void requireOverlay() {
        Probe probe = new OverlayDriverProvider().probe(tmp.resolve("overlay"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
    }

    @AfterEach
    void cleanUp() throws IOException {
        try {
            if (driver != null) {
                driver.close();
            }
        } finally {
            assertThat(OverlayTestMounts.detachAllUnder(tmp)).as("mounts left after close").isZero();
        }
    }

    private OverlayDriver open(OverlayMounter.Api api) throws IOException {
        if (api == OverlayMounter.Api.NEW) {
            Capabilities.require(OverlayMounter.detect(tmp) == OverlayMounter.Api.NEW,
                    "the new mount API with overlay lowerdir+ needs Linux 6.8+");
        }
        driver = OverlayDriver.open(tmp.resolve("overlay"), api);
        assertThat(driver.mountApi()).isEqualTo(api);
        return driver;
    }

    /** A chain of {@code lowers + 1} layers; layer i adds f{i}; the top one also whites out and makes opaque. */
    private String chain(int lowers) throws IOException {
        String parent = null;
        for (int i = 0; i <= lowers; i++) {
            String id = "l" + i;
            TarBuilder tar = new TarBuilder().file("f" + i, "layer " + i);
            if (i == 0) {
                tar.file("gone", "g").dir("opq").file("opq/old", "o").dir("kept").file("kept/k", "k");
            }
            if (i == lowers) {
                tar.file(".wh.gone", "").dir("opq").file("opq/.wh..wh..opq", "").file("opq/new", "n");
            }
            driver.create(id, parent);
            driver.applyDiff(id, parent, new ByteArrayInputStream(tar.end().bytes()));
            parent = id;
        }
        return parent;
    }

    @ParameterizedTest(name = "{0} API, {1} lowers")
    @CsvSource({"NEW, 1", "NEW, 16", "NEW, 200", "NEW, 500", "LEGACY, 1", "LEGACY, 16"})
    void mergedViewShowsEveryLayerAndHonoursWhiteouts(OverlayMounter.Api api, int lowers) throws IOException {
        open(api);
        String top = chain(lowers);
        Path merged = driver.get(top);
        try {
            assertThat(merged.getFileName().toString()).isEqualTo("merged");
            assertThat(driver.mountedLayers()).containsExactly(top);
            for (int i = 0; i <= lowers; i++) {
                assertThat(Files.readString(merged.resolve("f" + i))).isEqualTo("layer " + i);
            }
            assertThat(merged.resolve("gone")).doesNotExist();
            assertThat(list(merged.resolve("opq"))).containsExactly("new");
            assertThat(list(merged.resolve("kept"))).containsExactly("k");
            assertThat(list(merged)).hasSize(lowers + 1 + 2); // f0..fN, opq, kept
            try (RootedFs fs = RootedFs.open(merged)) {
                assertThat(fs.listXattrs("opq")).noneMatch(x -> x.contains("overlay"));
            }
        } finally {
            driver.put(top);
        }
        assertThat(driver.mountedLayers()).isEmpty();
        // the layer's own directory holds the overlay form
        try (RootedFs diff = RootedFs.open(tmp.resolve("overlay/layers/" + top + "/diff"))) {
            assertThat(diff.lstat("gone").type()).isEqualTo(FileType.CHAR_DEVICE);
            assertThat(diff.getXattr("opq", "trusted.overlay.opaque")).hasValueSatisfying(
                    v -> assertThat(new String(v)).isEqualTo("y"));
        }
    }

    @Test
    void legacyMountOfManyLowersFailsClearlyWhenOptionsExceedAPage() throws IOException {
        open(OverlayMounter.Api.LEGACY);
        String top = chain(200);
        assertThatThrownBy(() -> driver.get(top)).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("200 lower layers").hasMessageContaining("one page");
        assertThat(driver.mountedLayers()).isEmpty();
        driver.create("other", null); // a failed get leaves no reference behind: the layer can still go
        driver.remove("other");
    }

    @Test
    void moreThan500LowersIsAClearError() throws IOException {
        open(OverlayMounter.Api.NEW);
        String parent = null;
        for (int i = 0; i <= 500; i++) {
            driver.create("l" + i, parent);
            parent = "l" + i;
        }
        Path merged = driver.get(parent); // 500 lowers: the kernel's limit, still fine
        assertThat(merged).isDirectory();
        driver.put(parent);
        String last = parent;
        assertThatThrownBy(() -> driver.create("l501", last)).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("501 lower layers").hasMessageContaining("at most 500")
                .hasMessageContaining("depth 502");
        assertThat(driver.exists("l501")).isFalse();
    }

    @Test
    void legacyOptionsEscapeSeparators() {
        String opts = OverlayMounter.legacyOptions(List.of(Path.of("/a:b"), Path.of("/c,d")), Path.of("/u\\p"),
                Path.of("/w"));
        assertThat(opts).startsWith("lowerdir=/a\\:b:/c\\,d,upperdir=/u\\\\p,workdir=/w");
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = new ArrayList<>(s.map(p -> p.getFileName().toString()).toList());
            names.sort(null);
            return names;
        }
    }
}
