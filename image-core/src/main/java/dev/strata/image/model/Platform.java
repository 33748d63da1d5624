package dev.strata.image.model;

import java.util.List;
import java.util.Objects;

/**
 * A platform as in an image index: operating system, architecture, optional variant, OS version and features.
 * Values are kept as given; use the normalizing factory methods to compare across spellings.
 */
public record Platform(String os, String architecture, String variant, String osVersion, List<String> osFeatures) {
    public Platform {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(architecture, "architecture");
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    public Platform(String os, String architecture, String variant) {
        this(os, architecture, variant, null, List.of());
    }
}
