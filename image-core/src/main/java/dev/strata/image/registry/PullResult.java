package dev.strata.image.registry;

import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.reference.ImageReference;

import java.util.List;
import java.util.Objects;

/**
 * What a pull stored.
 *
 * @param reference       the reference pulled
 * @param name            the name the image was stored under (store image name or layout ref.name)
 * @param manifest        the single-platform manifest stored (after choosing from an index)
 * @param config          the config blob's digest (the image ID)
 * @param layers          the layer descriptors, base first
 * @param downloaded      blobs (config and layers) fetched from the registry by this pull
 * @param alreadyPresent  blobs (config and layers) that were already stored and not fetched
 * @param bytesDownloaded bytes received from the registry for those blobs (a resumed prefix not counted)
 */
public record PullResult(ImageReference reference, String name, Descriptor manifest, Digest config,
                         List<Descriptor> layers, List<Digest> downloaded, List<Digest> alreadyPresent,
                         long bytesDownloaded) {
    public PullResult {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(config, "config");
        layers = List.copyOf(layers);
        downloaded = List.copyOf(downloaded);
        alreadyPresent = List.copyOf(alreadyPresent);
    }

    /** The manifest's digest: what {@code image@digest} pins. */
    public Digest manifestDigest() {
        return manifest.digest();
    }
}
