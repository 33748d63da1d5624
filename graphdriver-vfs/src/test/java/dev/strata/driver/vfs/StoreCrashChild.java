package dev.strata.driver.vfs;

import dev.strata.image.digest.Digest;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child JVM of {@link VfsDriverStoreCrashTest}: opens the store with the vfs driver, says {@code registering}, and
 * registers one layer blob on a parent; the test kills it with SIGKILL somewhere in between.
 * Arguments: store root, blob file, parent chain id, expected DiffID.
 */
public final class StoreCrashChild {
    private StoreCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        try (Store store = Store.open(Path.of(args[0]), StoreOptions.defaults().withDriver("vfs"));
             InputStream in = Files.newInputStream(Path.of(args[1]))) {
            System.out.println("registering");
            System.out.flush();
            store.layers().register(in, Digest.parse(args[2]), Digest.parse(args[3]));
            System.out.println("registered");
            System.out.flush();
        }
    }
}
