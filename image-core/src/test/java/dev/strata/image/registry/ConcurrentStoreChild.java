package dev.strata.image.registry;

import dev.strata.image.NotFoundException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.model.Platform;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.store.TestStores;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Child JVM for {@link ConcurrentStoreRounds}: one process of a concurrent round on the store at args[0], with the
 * driver args[1] ({@code -}: the test-only plain-directory driver). Each operation opens the store anew, as a CLI
 * command does. Prints {@code FAIL <exception>} for every operation that fails and exits 1 if any did.
 * <ul>
 *     <li>{@code pull REF...}: pulls each reference in turn;</li>
 *     <li>{@code import LAYOUT NAME...}: imports each name from the OCI layout, tag {@code a} for {@code …/a};</li>
 *     <li>{@code rmgc STOPFILE NAME...}: until STOPFILE exists, removes each name (absent is fine) and runs gc.</li>
 * </ul>
 */
public final class ConcurrentStoreChild {
    private ConcurrentStoreChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        String driver = args[1];
        String mode = args[2];
        int failures = 0;
        if (mode.equals("pull")) {
            for (String ref : Arrays.copyOfRange(args, 3, args.length)) {
                failures += run(() -> {
                    try (Store store = open(root, driver)) {
                        new Puller(store).pull(ImageReference.parse(ref), PullOptions.defaults()
                                .withPlatform(new Platform("linux", "amd64")).withJobs(3));
                    }
                });
            }
        } else if (mode.equals("import")) {
            ContentStore layout = ContentStore.open(Path.of(args[3]));
            for (String ref : Arrays.copyOfRange(args, 4, args.length)) {
                failures += run(() -> {
                    try (Store store = open(root, driver)) {
                        store.importImage(layout, ref.substring(ref.lastIndexOf('/') + 1),
                                new Platform("linux", "amd64"), ref);
                    }
                });
            }
        } else {
            Path stop = Path.of(args[3]);
            List<String> names = List.of(Arrays.copyOfRange(args, 4, args.length));
            for (int i = 0; i < 500 && (i < 2 || !Files.exists(stop)); i++) {
                for (String name : names) {
                    failures += run(() -> {
                        try (Store store = open(root, driver)) {
                            store.removeImage(name);
                        } catch (NotFoundException e) {
                            // not pulled yet, or removed already
                        }
                    });
                }
                failures += run(() -> {
                    try (Store store = open(root, driver)) {
                        store.gc();
                    }
                });
            }
        }
        System.out.println("finished " + failures);
        System.out.flush();
        System.exit(failures == 0 ? 0 : 1);
    }

    private interface Op {
        void run() throws Exception;
    }

    private static int run(Op op) {
        try {
            op.run();
            return 0;
        } catch (Exception | Error e) {
            System.out.println("FAIL " + e);
            System.out.flush();
            if (System.getenv("STRATA_CHILD_TRACES") != null) {
                e.printStackTrace(System.out);
            }
            return 1;
        }
    }

    private static Store open(Path root, String driver) throws java.io.IOException {
        return driver.equals("-") ? TestStores.openPlain(root)
                : Store.open(root, StoreOptions.defaults().withDriver(driver));
    }
}
