package dev.strata.image.transport;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.model.MediaType;
import dev.strata.image.store.LayerLease;
import dev.strata.image.store.Store;

import java.io.IOException;

/**
 * Writes into a store: blobs into its content store, then at commit the image is added under its name, which
 * registers its layers with the store's driver (those whose ChainID is stored are reused). A lease held from the
 * first manifest on keeps a concurrent gc from taking what has arrived before the image is named.
 */
final class StoreDestination extends LayoutDestination {
    private final Store store;
    private final String name;
    private final LayerLease lease;

    StoreDestination(Store store, String name) throws IOException {
        super(store.content(), name);
        this.store = store;
        this.name = name;
        this.lease = store.lease();
    }

    @Override
    public boolean acceptsIndex() {
        return false;
    }

    @Override
    public void prepare(Document manifest) throws IOException {
        store.holdContent(manifest.descriptor(), lease);
    }

    @Override
    public void commit(Document root) throws IOException {
        if (MediaType.isIndex(root.descriptor().mediaType())) {
            throw new FailedPreconditionException("a store holds one platform's image under a name; copy one "
                    + "platform (--platform) instead of the whole index (--all)");
        }
        layout.put(root.raw());
        store.addImage(name, root.descriptor().digest());
    }

    @Override
    public void close() throws IOException {
        lease.close();
    }

    @Override
    public String toString() {
        return "store:" + name;
    }
}
