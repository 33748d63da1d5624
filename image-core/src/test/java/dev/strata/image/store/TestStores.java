package dev.strata.image.store;

import dev.strata.image.testing.PlainDirDriver;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Opens stores backed by the test-only {@link PlainDirDriver}, for tests outside this package. */
public final class TestStores {
    private TestStores() {
    }

    public static Store openPlain(Path root) throws IOException {
        return Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
    }
}
