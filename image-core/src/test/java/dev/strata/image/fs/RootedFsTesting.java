package dev.strata.image.fs;

import java.io.IOException;
import java.nio.file.Path;

/** Lets tests in other packages run the same case through both resolvers of {@link RootedFs}. */
public final class RootedFsTesting {
    private RootedFsTesting() {
    }

    /** A RootedFs that resolves with the component walk (the fallback for kernels without openat2). */
    public static RootedFs openWithWalk(Path root) throws IOException {
        return RootedFs.open(root, false, false);
    }

    /** Whether {@code fs} resolves with openat2. */
    public static boolean usesOpenat2(RootedFs fs) {
        return fs.usesOpenat2();
    }
}
