package dev.strata.driver.vfs;

import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.GraphDriverProvider;
import dev.strata.image.driver.Probe;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Registers the copy-based {@link VfsDriver}: works everywhere, so it is the fallback (priority 0). */
public final class VfsDriverProvider implements GraphDriverProvider {
    public static final String NAME = "vfs";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Probe probe(Path home) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            return Probe.unsupported("vfs needs Linux (fd-relative file calls), this is " + os);
        }
        return Probe.supported("copies each layer in full; works on any file system");
    }

    @Override
    public GraphDriver open(Path home, Map<String, String> options) throws IOException {
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("the vfs driver takes no options, got " + options.keySet());
        }
        return VfsDriver.open(home);
    }
}
