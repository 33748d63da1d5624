package dev.strata.driver.overlay;

import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.GraphDriverProvider;
import dev.strata.image.driver.Probe;
import dev.strata.image.fs.Mounts;
import dev.strata.image.fs.RootedFs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Registers the {@link OverlayDriver}: preferred over vfs (priority 100) wherever a real overlay mount works.
 * Option {@code mount_api}: {@code auto} (default), {@code new} or {@code legacy}.
 */
public final class OverlayDriverProvider implements GraphDriverProvider {
    public static final String NAME = "overlay";
    static final String MOUNT_API = "mount_api";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    /**
     * Supported when this is Linux, we are root, the kernel lists overlay in /proc/filesystems and a real test mount
     * (one lower, an upper and a work directory in a temporary directory under {@code home}, or under its nearest
     * existing ancestor so that nothing is created) works; the temporary directory is removed again.
     */
    @Override
    public Probe probe(Path home) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            return Probe.unsupported("overlay needs Linux, this is " + os);
        }
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (((Number) uid).longValue() != 0) {
                return Probe.unsupported("overlay mounts need root (uid 0); this process runs as uid " + uid);
            }
            boolean listed = Files.readAllLines(Path.of("/proc/filesystems"), StandardCharsets.UTF_8).stream()
                    .anyMatch(l -> l.endsWith("\toverlay"));
            if (!listed) {
                return Probe.unsupported("the kernel has no overlay file system (not in /proc/filesystems;"
                        + " try modprobe overlay)");
            }
            return testMount(home.toAbsolutePath());
        } catch (IOException | RuntimeException e) {
            return Probe.unsupported("overlay probe failed: " + e);
        }
    }

    private static Probe testMount(Path home) throws IOException {
        Path base = home;
        while (!Files.isDirectory(base)) {
            base = base.getParent();
        }
        Path tmp = Files.createTempDirectory(base, ".overlay-probe-");
        try {
            for (String d : List.of("lower", "upper", "work", "merged")) {
                Files.createDirectory(tmp.resolve(d));
            }
            Files.writeString(tmp.resolve("lower/probe"), "ok");
            OverlayMounter.Api api = OverlayMounter.detect(tmp);
            Path lower = tmp.resolve("lower");
            try {
                new OverlayMounter(api).mount("probe", List.of(lower), List.of(lower), tmp.resolve("upper"),
                        tmp.resolve("work"), tmp.resolve("merged"));
            } catch (IOException | RuntimeException e) {
                return Probe.unsupported("a test overlay mount in " + base + " failed ("
                        + Files.getFileStore(base).type() + " file system): " + e.getMessage());
            }
            try {
                if (!"ok".equals(Files.readString(tmp.resolve("merged/probe")))) {
                    return Probe.unsupported("a test overlay mount in " + base + " did not show its lower file");
                }
            } finally {
                Mounts.unmount(tmp.resolve("merged"), true);
            }
            return Probe.supported("overlay on " + Files.getFileStore(base).type() + ", "
                    + (api == OverlayMounter.Api.NEW ? "new mount API" : "legacy mount(2)") + ", native diff");
        } finally {
            try (RootedFs fs = RootedFs.open(base)) {
                fs.removeAll(tmp.getFileName().toString());
            }
        }
    }

    @Override
    public GraphDriver open(Path home, Map<String, String> options) throws IOException {
        Set<String> unknown = new java.util.TreeSet<>(options.keySet());
        unknown.remove(MOUNT_API);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown overlay driver options " + unknown + "; known: " + MOUNT_API);
        }
        String api = options.getOrDefault(MOUNT_API, "auto");
        return switch (api) {
            case "auto" -> OverlayDriver.open(home);
            case "new" -> OverlayDriver.open(home, OverlayMounter.Api.NEW);
            case "legacy" -> OverlayDriver.open(home, OverlayMounter.Api.LEGACY);
            default -> throw new IllegalArgumentException("overlay option " + MOUNT_API + "=" + api
                    + ": expected auto, new or legacy");
        };
    }
}
