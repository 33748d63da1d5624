package dev.strata.image.transport;

import dev.strata.image.content.ContentStore;
import dev.strata.image.model.Descriptor;

import java.io.IOException;
import java.io.InputStream;

/**
 * Writes into an OCI image layout: blobs through the content store's verified, atomic writer; the root document
 * named in index.json at commit. skopeo and umoci read the result as {@code oci:DIR:NAME}.
 */
class LayoutDestination implements ImageDestination {
    final ContentStore layout;
    private final String name;

    LayoutDestination(ContentStore layout, String name) {
        this.layout = layout;
        this.name = name;
    }

    @Override
    public boolean hasBlob(Descriptor blob) throws IOException {
        return layout.exists(blob.digest());
    }

    @Override
    public boolean verifiesBlobs() {
        return true;
    }

    @Override
    public void putBlob(Descriptor blob, Content content) throws IOException {
        try (InputStream in = content.open()) {
            layout.write(in, blob.digest(), blob.size());
        }
    }

    @Override
    public void putManifest(Document manifest) throws IOException {
        layout.put(manifest.raw());
    }

    @Override
    public void commit(Document root) throws IOException {
        layout.put(root.raw());
        layout.tag(name, root.descriptor());
    }

    @Override
    public String toString() {
        return "oci:" + layout.root() + ":" + name;
    }
}
