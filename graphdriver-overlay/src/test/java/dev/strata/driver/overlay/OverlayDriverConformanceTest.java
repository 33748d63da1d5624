package dev.strata.driver.overlay;

import dev.strata.image.driver.GraphDriverConformanceTest;
import dev.strata.image.driver.GraphDriverProvider;
import dev.strata.image.driver.Probe;
import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The driver conformance suite on the overlay driver with real mounts (fails, not skips, in CI without them). */
class OverlayDriverConformanceTest extends GraphDriverConformanceTest {
    @Override
    protected GraphDriverProvider provider() {
        OverlayDriverProvider p = new OverlayDriverProvider();
        Probe probe = p.probe(storeRoot.resolve(p.name()));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        return p;
    }

    /** Copy-up runs with index=off (the upper must stay a plain change set), which breaks lower hard links. */
    @Override
    protected boolean keepsHardLinksOnCopyUp() {
        return false;
    }

    @Override
    protected boolean viewsAreReadOnlyMounts() {
        return true;
    }

    /** Runs before the suite's own close: closes the driver, then detaches anything a failure left mounted. */
    @AfterEach
    void detachLeftovers() throws IOException {
        try {
            if (driver != null) {
                driver.close();
            }
        } finally {
            OverlayTestMounts.detachAllUnder(storeRoot);
        }
    }

    @Test
    void statusReportsNativeDiffAndMountApi() throws IOException {
        driver.create("a", null);
        Map<String, String> status = driver.status();
        assertThat(status).containsEntry("Driver", "overlay").containsEntry("Layers", "1")
                .containsKey("Backing Filesystem").containsKey("Mount API");
        assertThat(status.get("Native diff")).startsWith("true");
    }
}
