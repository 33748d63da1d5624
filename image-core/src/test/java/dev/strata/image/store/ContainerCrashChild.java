package dev.strata.image.store;

import java.nio.file.Path;

/**
 * Child JVM of {@link ContainerStoreConformanceTest}'s crash test: opens the store with the driver named, says
 * {@code creating}, and creates containers on image {@code img} until it is killed.
 * Arguments: store root, driver name.
 */
public final class ContainerCrashChild {
    private ContainerCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        try (Store store = Store.open(Path.of(args[0]), StoreOptions.defaults().withDriver(args[1]))) {
            System.out.println("creating");
            System.out.flush();
            for (int i = 0; i < 100_000; i++) {
                store.createContainer("img", null);
            }
        }
    }
}
