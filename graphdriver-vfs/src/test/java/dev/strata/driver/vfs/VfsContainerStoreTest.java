package dev.strata.driver.vfs;

import dev.strata.image.store.ContainerStoreConformanceTest;

/** The container store suite on the vfs driver. */
class VfsContainerStoreTest extends ContainerStoreConformanceTest {
    @Override
    protected String driverName() {
        return "vfs";
    }
}
