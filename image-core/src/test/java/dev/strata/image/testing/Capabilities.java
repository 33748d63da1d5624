package dev.strata.image.testing;

import org.junit.jupiter.api.Assumptions;

/** Capability checks for tests: a missing capability fails the test on CI (env CI=true) and skips it elsewhere. */
public final class Capabilities {
    private Capabilities() {}

    public static void require(boolean ok, String why) {
        if (ok) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("required capability missing on CI: " + why);
        }
        Assumptions.abort(why);
    }

    private static volatile Boolean root;

    /** Whether this JVM runs with effective uid 0. */
    public static boolean isRoot() {
        Boolean r = root;
        if (r == null) {
            r = probeRoot();
            root = r;
        }
        return r;
    }

    private static boolean probeRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 && out.equals("0");
        } catch (Exception e) {
            return false;
        }
    }
}
