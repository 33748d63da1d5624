package dev.strata.image.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gate for tests that need root or an external tool: on CI ({@code CI=true}) a missing capability fails the
 * test, elsewhere it skips with the reason.
 */
public final class Capabilities {
    private Capabilities() {
    }

    public static void require(boolean ok, String why) {
        if (ok) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("CI=true but a required capability is missing: " + why);
        }
        Assumptions.abort(why);
    }

    /** True when {@code /usr/bin/NAME} or {@code /bin/NAME} or {@code /usr/local/bin/NAME} is executable. */
    public static boolean hasTool(String name) {
        for (String dir : new String[] {"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"}) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    /** True when the JVM runs as uid 0. */
    public static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (Exception e) {
            return false;
        }
    }
}
