package dev.strata.driver.overlay;

import dev.strata.image.driver.Probe;
import dev.strata.image.store.ContainerStoreConformanceTest;
import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;

/** The container store suite on the overlay driver with real mounts (fails, not skips, in CI without them). */
class OverlayContainerStoreTest extends ContainerStoreConformanceTest {
    @Override
    protected String driverName() {
        Probe probe = new OverlayDriverProvider().probe(tmp.resolve("probe"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
        return "overlay";
    }

    @Override
    protected boolean writableViewsAreMounts() {
        return true;
    }

    /** Detaches whatever a failing test left mounted, so the temp directory can be deleted. */
    @AfterEach
    void detachLeftovers() throws IOException {
        OverlayTestMounts.detachAllUnder(tmp);
    }
}
