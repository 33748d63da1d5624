package dev.strata.image.transport;

import dev.strata.image.model.Descriptor;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.ManifestResponse;
import dev.strata.image.registry.RegistryClient;
import dev.strata.image.registry.RegistryOptions;

import java.io.InputStream;
import java.util.Optional;

/** An image in a registry, read through the distribution API. */
final class RegistrySource implements ImageSource {
    private final ImageReference reference;
    private final RegistryClient client;

    RegistrySource(ImageReference reference, RegistryOptions options) {
        this.reference = reference;
        this.client = RegistryClient.create(reference, options);
    }

    @Override
    public Document root() {
        ManifestResponse r = client.getManifest(reference.repository(), reference.reference());
        return new Document(r.descriptor(), r.raw());
    }

    @Override
    public byte[] manifest(Descriptor manifest) {
        return client.getManifest(reference.repository(), manifest.digest().toString()).raw();
    }

    @Override
    public InputStream blob(Descriptor blob) {
        return client.openBlobResuming(reference.repository(), blob);
    }

    @Override
    public Optional<RegistryRepository> registryRepository() {
        return Optional.of(new RegistryRepository(reference.registryApiHost(), reference.repository()));
    }

    @Override
    public String toString() {
        return "docker://" + reference;
    }
}
