package dev.strata.image.transport;

import dev.strata.image.content.ContentStore;
import dev.strata.image.model.Descriptor;
import dev.strata.image.store.Store;

import java.io.IOException;
import java.io.InputStream;

/** An image in an OCI image layout (and so in a store's {@code content/}, which is one). */
final class LayoutSource implements ImageSource {
    private final ContentStore layout;
    private final Descriptor root;

    /** The image {@code name} of {@code layout}; null: its only image. */
    LayoutSource(ContentStore layout, String name) throws IOException {
        this(layout, Store.resolveRoot(layout, name));
    }

    LayoutSource(ContentStore layout, Descriptor root) {
        this.layout = layout;
        this.root = root;
    }

    @Override
    public Document root() throws IOException {
        return new Document(root, layout.readSmall(root.digest()));
    }

    @Override
    public byte[] manifest(Descriptor manifest) throws IOException {
        return layout.readSmall(manifest.digest());
    }

    @Override
    public InputStream blob(Descriptor blob) throws IOException {
        return layout.open(blob.digest(), false);
    }

    @Override
    public String toString() {
        return "oci:" + layout.root();
    }
}
