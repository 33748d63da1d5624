package dev.strata.image.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gate for tests that need a capability (root, a tool, overlayfs). Outside CI a missing capability skips the test
 * with the reason; with {@code CI=true} it fails it, so CI can never pass by silently skipping.
 */
public final class Capabilities {
    private Capabilities() {
    }

    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Fails (CI) or skips (elsewhere) unless {@code ok}. */
    public static void require(boolean ok, String why) {
        if (ok) {
            return;
        }
        if (inCi()) {
            throw new AssertionError("required capability missing in CI: " + why);
        }
        Assumptions.abort(why);
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name")) || uid() == 0;
    }

    public static void requireRoot() {
        require(isRoot(), "needs root (uid 0)");
    }

    /** Requires an executable on the PATH, e.g. {@code skopeo}. */
    public static Path requireTool(String name) {
        Path found = which(name);
        require(found != null, "needs the '" + name + "' command (apt-get install it)");
        return found;
    }

    public static boolean hasTool(String name) {
        return which(name) != null;
    }

    public static Path which(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static long uid() {
        try {
            Object v = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return ((Number) v).longValue();
        } catch (Exception e) {
            return -1;
        }
    }
}
