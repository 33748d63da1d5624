package dev.strata.image.model;

import dev.strata.image.InvalidPlatformException;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A platform as in an image index: operating system, architecture, optional variant, OS version and features.
 * The canonical constructor keeps values as given (only an empty variant or OS version becomes null); compare
 * platforms through {@link #normalized()}, which folds the many spellings of one platform into one value
 * ({@code aarch64} and {@code arm64/v8} both become {@code arm64} without variant).
 */
public record Platform(String os, String architecture, String variant, String osVersion, List<String> osFeatures) {

    private static final Pattern COMPONENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    /** 32-bit ARM variants newest first: a v8 CPU in 32-bit mode runs v7, v6 and v5 code too. */
    private static final List<String> ARM_VARIANTS = List.of("v8", "v7", "v6", "v5");

    public Platform {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(architecture, "architecture");
        variant = emptyToNull(variant);
        osVersion = emptyToNull(osVersion);
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    public Platform(String os, String architecture, String variant) {
        this(os, architecture, variant, null, List.of());
    }

    public Platform(String os, String architecture) {
        this(os, architecture, null, null, List.of());
    }

    /**
     * Parses {@code os/arch[/variant]} (e.g. {@code linux/arm64}, {@code linux/arm/v7}) and returns the
     * {@linkplain #normalized() normalized} platform, so {@code linux/aarch64} yields {@code linux/arm64}.
     *
     * @throws InvalidPlatformException naming the input when it has the wrong number of parts or odd characters
     */
    public static Platform parse(String spec) {
        if (spec == null || spec.isEmpty()) {
            throw new InvalidPlatformException("invalid platform '': expected os/arch[/variant], e.g. linux/amd64");
        }
        String[] parts = spec.split("/", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new InvalidPlatformException("invalid platform '" + abbreviate(spec)
                    + "': expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7");
        }
        String[] names = {"os", "architecture", "variant"};
        for (int i = 0; i < parts.length; i++) {
            if (!COMPONENT.matcher(parts[i]).matches() || parts[i].length() > 64) {
                throw new InvalidPlatformException("invalid platform '" + abbreviate(spec) + "': " + names[i]
                        + " '" + abbreviate(parts[i]) + "' must be letters, digits, '.', '_' or '-'");
            }
        }
        return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null).normalized();
    }

    /** The platform this JVM runs on, from {@code os.name} and {@code os.arch}, normalized. */
    public static Platform host() {
        String osName = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String os;
        if (osName.startsWith("windows")) {
            os = "windows";
        } else if (osName.startsWith("mac") || osName.startsWith("darwin")) {
            os = "darwin";
        } else {
            os = osName.replaceAll("[^a-z0-9]", "");
        }
        return new Platform(os.isEmpty() ? "unknown" : os, System.getProperty("os.arch", "unknown")).normalized();
    }

    /**
     * One spelling per platform: lowercase, Go architecture names ({@code aarch64}→{@code arm64},
     * {@code x86_64}→{@code amd64}, {@code i686}→{@code 386}), {@code armhf}→{@code arm/v7},
     * {@code armel}→{@code arm/v6}, 32-bit {@code arm} without variant→{@code arm/v7}, and the implied
     * variants dropped ({@code arm64/v8}→{@code arm64}, {@code amd64/v1}→{@code amd64}).
     */
    public Platform normalized() {
        String o = os.toLowerCase(Locale.ROOT);
        String arch = architecture.toLowerCase(Locale.ROOT);
        String v = variant == null ? null : variant.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "aarch64", "arm64" -> {
                arch = "arm64";
                if ("8".equals(v) || "v8".equals(v)) {
                    v = null;
                }
            }
            case "x86_64", "x86-64", "amd64" -> {
                arch = "amd64";
                if ("v1".equals(v)) {
                    v = null;
                }
            }
            case "i386", "i486", "i586", "i686", "x86", "386" -> arch = "386";
            case "armhf", "armv7", "armv7l" -> {
                arch = "arm";
                v = "v7";
            }
            case "armel", "armv6", "armv6l" -> {
                arch = "arm";
                v = "v6";
            }
            case "armv5", "armv5l", "armv5tel" -> {
                arch = "arm";
                v = "v5";
            }
            case "armv8l" -> {
                arch = "arm";
                v = "v8";
            }
            case "arm" -> {
                if (v == null) {
                    v = "v7";
                } else if (v.matches("[5-8]")) {
                    v = "v" + v;
                }
            }
            default -> {
                // other architectures (ppc64le, s390x, riscv64, …) have no spellings to fold
            }
        }
        return new Platform(o, arch, v, osVersion, osFeatures);
    }

    /**
     * True when an image built for {@code candidate} runs on this platform: same OS and architecture after
     * normalization, and for 32-bit ARM a variant no newer than ours (an {@code arm/v8} host runs v8, v7, v6
     * and v5). No 64-to-32-bit fallback: an {@code arm64} host matches {@code arm64} only.
     */
    public boolean matches(Platform candidate) {
        return rank(candidate) >= 0;
    }

    /**
     * How well {@code candidate} suits this (wanted) platform: 0 is an exact match, larger is a less preferred
     * fallback, -1 means it cannot run here.
     */
    int rank(Platform candidate) {
        Platform want = normalized();
        Platform have = candidate.normalized();
        if (!want.os.equals(have.os) || !want.architecture.equals(have.architecture)) {
            return -1;
        }
        if (Objects.equals(want.variant, have.variant)) {
            return 0;
        }
        if (want.architecture.equals("arm")) {
            int wanted = ARM_VARIANTS.indexOf(want.variant);
            int offered = ARM_VARIANTS.indexOf(have.variant);
            if (wanted >= 0 && offered > wanted) {
                return offered - wanted;
            }
        }
        return -1;
    }

    /** {@code os/arch[/variant]}, the form {@link #parse} reads. */
    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…(" + s.length() + " chars)";
    }
}
