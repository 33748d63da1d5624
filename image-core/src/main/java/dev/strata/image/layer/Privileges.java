package dev.strata.image.layer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What this process may do to extracted files, from its effective capability set: in a container "root" can lack
 * CAP_MKNOD, and a rootless user can hold CAP_CHOWN inside a user namespace, so the uid alone does not say.
 */
final class Privileges {
    private static final int CAP_CHOWN = 0;
    private static final int CAP_MKNOD = 27;
    private static final long EFFECTIVE = readEffective();

    private Privileges() {
    }

    /** May chown files to any owner and create device nodes. */
    static boolean isRoot() {
        return canChown() && canMknod();
    }

    static boolean canChown() {
        return (EFFECTIVE & (1L << CAP_CHOWN)) != 0;
    }

    static boolean canMknod() {
        return (EFFECTIVE & (1L << CAP_MKNOD)) != 0;
    }

    private static long readEffective() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Without /proc assume no privileges: recording ownership is the safe failure.
        }
        return 0;
    }
}
