package dev.strata.driver.overlay;

import dev.strata.image.fs.Mounts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Test cleanup: detaches every mount left under a test's directory, so a failed test never leaks a mount. */
final class OverlayTestMounts {
    private OverlayTestMounts() {
    }

    /** Detaches the mounts under {@code dir}, deepest first, and returns how many there were. */
    static int detachAllUnder(Path dir) throws IOException {
        List<Path> left = Mounts.mountPointsUnder(dir);
        for (Path mp : left) {
            Mounts.unmount(mp, true);
        }
        return left.size();
    }
}
