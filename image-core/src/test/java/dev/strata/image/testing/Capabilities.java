package dev.strata.image.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gate for tests that need something of the machine (root, a tool). Under CI ({@code CI=true}) a missing capability
 * fails the test, so CI can never pass by skipping; elsewhere the test is skipped with the reason.
 */
public final class Capabilities {
    private Capabilities() {
    }

    public static void require(boolean ok, String why) {
        if (ok) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("required capability missing under CI=true: " + why);
        }
        Assumptions.abort(why);
    }

    /** True if {@code name} is an executable in /usr/bin, /usr/local/bin or /bin. */
    public static boolean hasTool(String name) {
        for (String dir : new String[] {"/usr/bin", "/usr/local/bin", "/bin"}) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
