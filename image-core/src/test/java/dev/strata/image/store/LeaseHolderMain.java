package dev.strata.image.store;

import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Child JVM for {@link StoreTest}: what a pull does before it names its image. Opens the store at args[0], registers
 * the first args[2] layers of manifest args[1] (in the content store) under a lease, prints {@code registered} and
 * waits to be killed.
 */
public final class LeaseHolderMain {
    private LeaseHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        try (Store store = TestStores.openPlain(Path.of(args[0]))) {
            ImageManifest manifest = Manifests.parseManifest(store.content().readSmall(Digest.parse(args[1])), null);
            ImageConfig config = Manifests.parseConfig(store.content().readSmall(manifest.config().digest()));
            List<Digest> chain = ChainId.all(config.diffIds());
            LayerLease lease = store.lease();
            for (int i = 0; i < Integer.parseInt(args[2]); i++) {
                try (PreparedLayer layer = store.layers().prepare(i == 0 ? null : chain.get(i - 1),
                        config.diffIds().get(i), lease);
                     InputStream in = store.content().open(manifest.layers().get(i).digest(), true)) {
                    layer.apply(in);
                    layer.publish();
                }
            }
            System.out.println("registered");
            System.out.flush();
            Thread.sleep(120_000);
        }
    }
}
