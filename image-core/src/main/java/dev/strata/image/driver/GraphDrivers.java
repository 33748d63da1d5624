package dev.strata.image.driver;

import dev.strata.image.NotFoundException;
import dev.strata.image.UnsupportedPlatformException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Finds the drivers on the classpath and picks the one a store uses. */
public final class GraphDrivers {
    private GraphDrivers() {
    }

    /** Every provider registered with {@link ServiceLoader}, by descending priority, then name. */
    public static List<GraphDriverProvider> providers() {
        List<GraphDriverProvider> all = new ArrayList<>();
        ServiceLoader.load(GraphDriverProvider.class, GraphDrivers.class.getClassLoader()).forEach(all::add);
        all.sort(ORDER);
        return all;
    }

    /**
     * The driver for the store at {@code storeRoot}:
     * <ol>
     *   <li>{@code explicitName} when given; it must be known and supported;</li>
     *   <li>else a driver that already has state in the store (its home directory exists and is not empty), so a
     *       store keeps its driver when a better one appears on the classpath;</li>
     *   <li>else the supported driver with the highest priority.</li>
     * </ol>
     *
     * @throws NotFoundException            when {@code explicitName} is unknown (the message lists the known names)
     * @throws UnsupportedPlatformException when the chosen driver does not work here (with the probe's reason), or
     *                                      no driver does
     */
    public static GraphDriverProvider choose(Path storeRoot, String explicitName) throws IOException {
        return choose(storeRoot, explicitName, providers());
    }

    /** {@link #choose} then {@link GraphDriverProvider#open} at {@code <storeRoot>/<name>}. */
    public static GraphDriver open(Path storeRoot, String explicitName, Map<String, String> options)
            throws IOException {
        GraphDriverProvider p = choose(storeRoot, explicitName);
        return p.open(storeRoot.resolve(p.name()), options);
    }

    /** {@link #choose(Path, String)} among {@code candidates} instead of the ServiceLoader's providers. */
    public static GraphDriverProvider choose(Path storeRoot, String explicitName, List<GraphDriverProvider> candidates)
            throws IOException {
        List<GraphDriverProvider> sorted = new ArrayList<>(candidates);
        sorted.sort(ORDER);
        if (explicitName != null) {
            GraphDriverProvider p = sorted.stream().filter(c -> c.name().equals(explicitName)).findFirst()
                    .orElseThrow(() -> new NotFoundException("unknown storage driver '" + explicitName
                            + "'; known: " + names(sorted)));
            for (GraphDriverProvider other : sorted) {
                if (other != p && hasState(storeRoot.resolve(other.name()))
                        && !hasState(storeRoot.resolve(p.name()))) {
                    // Opening it with another driver would not see its layers and forget the other's mounts.
                    throw new dev.strata.image.FailedPreconditionException("the store at " + storeRoot
                            + " holds layers of the '" + other.name() + "' driver, not '" + explicitName
                            + "': open it with --driver " + other.name() + " (or without --driver)");
                }
            }
            requireSupported(p, storeRoot);
            return p;
        }
        for (GraphDriverProvider p : sorted) {
            if (hasState(storeRoot.resolve(p.name()))) {
                requireSupported(p, storeRoot);
                return p;
            }
        }
        List<String> reasons = new ArrayList<>();
        for (GraphDriverProvider p : sorted) {
            Probe probe = p.probe(storeRoot.resolve(p.name()));
            if (probe.supported()) {
                return p;
            }
            reasons.add(p.name() + ": " + probe.reason());
        }
        throw new UnsupportedPlatformException("no storage driver works for " + storeRoot
                + (reasons.isEmpty() ? "; none is on the classpath (add graphdriver-vfs)" : ": " + reasons));
    }

    private static void requireSupported(GraphDriverProvider p, Path storeRoot) {
        Probe probe = p.probe(storeRoot.resolve(p.name()));
        if (!probe.supported()) {
            throw new UnsupportedPlatformException("storage driver '" + p.name() + "' does not work for "
                    + storeRoot + ": " + probe.reason());
        }
    }

    private static boolean hasState(Path home) throws IOException {
        if (!Files.isDirectory(home)) {
            return false;
        }
        try (Stream<Path> s = Files.list(home)) {
            return s.findAny().isPresent();
        }
    }

    private static String names(List<GraphDriverProvider> ps) {
        return ps.isEmpty() ? "(none on the classpath)"
                : ps.stream().map(GraphDriverProvider::name).collect(Collectors.joining(", "));
    }

    private static final Comparator<GraphDriverProvider> ORDER =
            Comparator.comparingInt(GraphDriverProvider::priority).reversed().thenComparing(GraphDriverProvider::name);

    /**
     * The preconditions every driver checks before removing layer {@code id}: nobody holds it ({@code refs}) and no
     * layer has it as parent.
     *
     * @throws FailedPreconditionException naming the holders or the children
     */
    public static void requireRemovable(GraphDriver driver, MountRefs refs, String id) throws java.io.IOException {
        if (refs.count(id) > 0) {
            throw new dev.strata.image.FailedPreconditionException("layer " + id + " is in use (" + refs.count(id)
                    + " gets without put)");
        }
        List<String> children = new java.util.ArrayList<>();
        for (String other : driver.layers()) {
            if (id.equals(driver.parent(other))) {
                children.add(other);
            }
        }
        if (!children.isEmpty()) {
            throw new dev.strata.image.FailedPreconditionException("layer " + id + " has child layers " + children
                    + "; remove them first");
        }
    }
}
