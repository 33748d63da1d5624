package dev.strata.image.transport;

import dev.strata.image.InvalidImageException;
import dev.strata.image.model.Descriptor;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.RegistryClient;
import dev.strata.image.registry.RegistryOptions;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Pushes into a registry: blobs it lacks (mounted from another repository of the same registry when the source is
 * there), manifests of an index by digest, the root under the reference's tag (or its digest).
 */
final class RegistryDestination implements ImageDestination {
    private final ImageReference reference;
    private final RegistryClient client;

    RegistryDestination(ImageReference reference, RegistryOptions options) {
        this.reference = reference;
        this.client = RegistryClient.create(reference, options);
    }

    @Override
    public boolean hasBlob(Descriptor blob) {
        return client.headBlob(reference.repository(), blob.digest()).isPresent();
    }

    @Override
    public boolean mountBlob(Descriptor blob, ImageSource.RegistryRepository from) {
        if (!from.host().equals(reference.registryApiHost()) || from.repository().equals(reference.repository())) {
            return false;
        }
        return client.mountBlob(reference.repository(), blob.digest(), from.repository());
    }

    @Override
    public void putBlob(Descriptor blob, Content content) {
        client.uploadMonolithic(client.startUpload(reference.repository()), blob.digest(), blob.size(), () -> {
            try {
                return content.open();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public void putManifest(Document manifest) {
        client.putManifest(reference.repository(), manifest.descriptor().digest().toString(), manifest.raw(),
                manifest.descriptor().mediaType());
    }

    @Override
    public void commit(Document root) {
        if (reference.digest() != null && !reference.digest().equals(root.descriptor().digest())) {
            throw new InvalidImageException("destination " + reference + " names digest " + reference.digest()
                    + " but the image copied is " + root.descriptor().digest());
        }
        String ref = reference.tag() != null ? reference.tag() : root.descriptor().digest().toString();
        client.putManifest(reference.repository(), ref, root.raw(), root.descriptor().mediaType());
    }

    @Override
    public String toString() {
        return "docker://" + reference;
    }
}
