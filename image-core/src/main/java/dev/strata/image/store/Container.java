package dev.strata.image.store;

import dev.strata.image.digest.Digest;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A container as the store records it ({@code <root>/containers/<id>.json}): a writable driver layer of its own on
 * top of an image's top layer. The image's layers stay stored while the container exists.
 *
 * @param id            64 lowercase hex digits, random
 * @param name          unique in the store: {@code [A-Za-z0-9][A-Za-z0-9_.-]*}, at most 128 characters
 * @param imageName     the image name it was created from (the name may have moved on since)
 * @param imageManifest digest of that image's manifest at creation
 * @param topLayer      ChainID of that image's top layer: the parent of the container's layer
 * @param driverId      the container's own driver layer
 * @param created       when it was created
 * @param mountCount    outstanding {@link Store#mountContainer} calls (0: not mounted)
 */
public record Container(String id, String name, String imageName, Digest imageManifest, Digest topLayer,
                        String driverId, Instant created, int mountCount) {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    public Container {
        Objects.requireNonNull(imageName, "imageName");
        Objects.requireNonNull(imageManifest, "imageManifest");
        Objects.requireNonNull(topLayer, "topLayer");
        Objects.requireNonNull(created, "created");
        checkId(id);
        checkName(name);
        Objects.requireNonNull(driverId, "driverId");
        if (mountCount < 0) {
            throw new IllegalArgumentException("mount count of container " + name + " must not be negative");
        }
    }

    /** The first 12 digits of the id, as listings show it. */
    public String shortId() {
        return id.substring(0, 12);
    }

    /** Whether {@link #mountCount} is above zero. */
    public boolean mounted() {
        return mountCount > 0;
    }

    Container withMountCount(int count) {
        return new Container(id, name, imageName, imageManifest, topLayer, driverId, created, count);
    }

    static String checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("container id must be 64 lowercase hex digits: " + id);
        }
        return id;
    }

    /**
     * Throws unless {@code name} is a valid container name.
     *
     * @throws IllegalArgumentException naming the rule
     */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid container name '" + name + "': 1 to 128 of [A-Za-z0-9_.-], "
                    + "starting with a letter or digit");
        }
        return name;
    }
}
