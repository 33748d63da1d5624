package dev.strata.image.registry;

import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.store.Store;
import dev.strata.image.store.StoreOptions;
import dev.strata.image.store.TestStores;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Child JVM for {@link PullCrashTest} and the overlay driver's crash test: opens the store at args[0] (with the
 * driver named by args[2] if given, else the test-only plain-directory driver) and pulls args[1] (linux/amd64),
 * printing a marker line at each stage so the test knows where its SIGKILL landed: {@code opened},
 * {@code downloading} (first layer bytes received), {@code extracting} (first layer registration), {@code done}.
 */
public final class PullCrashChild {
    /** Config and manifest are far smaller; layers are megabytes. */
    static final long LAYER_THRESHOLD = 100_000;

    private PullCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        AtomicBoolean downloading = new AtomicBoolean();
        AtomicBoolean extracting = new AtomicBoolean();
        try (Store store = args.length > 2
                ? Store.open(Path.of(args[0]), StoreOptions.defaults().withDriver(args[2]))
                : TestStores.openPlain(Path.of(args[0]))) {
            System.out.println("opened");
            System.out.flush();
            PullOptions options = PullOptions.defaults().withPlatform(new Platform("linux", "amd64")).withJobs(2)
                    .withListener(e -> {
                        if (e instanceof ProgressEvent.Downloading d && d.total() > LAYER_THRESHOLD && d.bytes() > 0
                                && !downloading.getAndSet(true)) {
                            mark("downloading");
                        } else if (e instanceof ProgressEvent.Extracting && !extracting.getAndSet(true)) {
                            mark("extracting");
                        }
                    });
            new Puller(store).pull(ImageReference.parse(args[1]), options);
            mark("done");
        }
    }

    private static synchronized void mark(String stage) {
        System.out.println(stage);
        System.out.flush();
    }
}
