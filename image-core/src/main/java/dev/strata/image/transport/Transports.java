package dev.strata.image.transport;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.model.ManifestDocument;
import dev.strata.image.model.Manifests;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.RegistryOptions;
import dev.strata.image.store.ImageRecord;
import dev.strata.image.store.Store;

import java.io.IOException;

/**
 * Opens the source or destination an {@link ImageLocation} names.
 *
 * @param registry how registries are reached (TLS, credentials, retries)
 * @param store    the store {@code store:} locations mean; null when none is open (they are then refused)
 */
public record Transports(RegistryOptions registry, Store store) {

    /** A source reading the image {@code location} names. */
    public ImageSource source(ImageLocation location) throws IOException {
        if (location instanceof ImageLocation.Registry r) {
            return new RegistrySource(r.reference(), registry);
        } else if (location instanceof ImageLocation.OciLayout l) {
            return new LayoutSource(ContentStore.openReadOnly(l.dir()), l.name());
        } else if (location instanceof ImageLocation.OciArchive a) {
            return OciArchiveSource.open(a.file(), a.name());
        } else if (location instanceof ImageLocation.DockerArchive a) {
            return DockerArchiveSource.open(a.file(), a.name());
        } else if (location instanceof ImageLocation.Dir d) {
            return new DirTransport.Source(d.dir());
        } else if (location instanceof ImageLocation.Store s) {
            Store st = requireStore(location);
            ImageRecord record = st.resolveImage(s.name());
            ManifestDocument doc = Manifests.parse(st.content().readSmall(record.manifest()), null);
            return new LayoutSource(st.content(), doc.descriptor());
        }
        throw new IllegalStateException("no source for " + location);
    }

    /**
     * A destination writing to {@code location}; {@code defaultName} names the image where the location does not
     * (an {@code oci:DIR} without a name).
     */
    public ImageDestination destination(ImageLocation location, String defaultName) throws IOException {
        if (location instanceof ImageLocation.Registry r) {
            return new RegistryDestination(r.reference(), registry);
        } else if (location instanceof ImageLocation.OciLayout l) {
            return new LayoutDestination(ContentStore.open(l.dir()), l.name() != null ? l.name() : defaultName);
        } else if (location instanceof ImageLocation.OciArchive a) {
            return OciArchiveWriter.create(a.file(), a.name() != null ? a.name() : defaultName);
        } else if (location instanceof ImageLocation.DockerArchive a) {
            return DockerArchiveWriter.create(a.file()).onlyImage(a.name() != null ? a.name() : defaultName);
        } else if (location instanceof ImageLocation.Dir d) {
            return new DirTransport.Destination(d.dir());
        } else if (location instanceof ImageLocation.Store s) {
            return new StoreDestination(requireStore(location), storeName(s.name()));
        }
        throw new IllegalStateException("no destination for " + location);
    }

    private Store requireStore(ImageLocation location) {
        if (store == null) {
            throw new FailedPreconditionException(location + " needs a store, and none is open");
        }
        return store;
    }

    /** Store names are normalized references where they parse as one ({@code busybox} is docker.io/library/busybox:latest). */
    public static String storeName(String name) {
        try {
            return ImageReference.parse(name).toString();
        } catch (RuntimeException e) {
            return name;
        }
    }
}
