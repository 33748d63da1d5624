package dev.strata.image.store;

import dev.strata.image.digest.Digest;

import java.nio.file.Path;
import java.util.Objects;

/**
 * An image mounted with {@link Store#mount}, as recorded in {@code <root>/mounts.json}: it stays mounted across
 * processes until {@link Store#unmount} has been called {@code count} times.
 *
 * @param name  the image name it was mounted by
 * @param layer ChainID of the image's top layer (the layer the view shows, with its ancestors)
 * @param path  the read-only view
 * @param count how many mounts of this name are outstanding (at least 1)
 */
public record ImageMount(String name, Digest layer, Path path, int count) {
    public ImageMount {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(path, "path");
        if (count < 1) {
            throw new IllegalArgumentException("mount count of " + name + " must be at least 1, not " + count);
        }
    }

    ImageMount withCount(int newCount) {
        return new ImageMount(name, layer, path, newCount);
    }
}
