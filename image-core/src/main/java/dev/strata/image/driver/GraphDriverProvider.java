package dev.strata.image.driver;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds and opens one kind of driver; registered for {@link java.util.ServiceLoader} in
 * {@code META-INF/services/dev.strata.image.driver.GraphDriverProvider}, so adding a driver module to the classpath
 * makes it available.
 */
public interface GraphDriverProvider {

    /** Short, unique, lowercase name; also the name of the driver's home directory under the store root. */
    String name();

    /** Preference when nothing else decides: the highest supported wins (vfs, the fallback, is 0). */
    int priority();

    /** Whether the driver works with {@code home} (which may not exist yet) on this machine; no side effects. */
    Probe probe(Path home);

    /** Opens (creating {@code home} if needed) the driver; {@code options} are driver specific. */
    GraphDriver open(Path home, Map<String, String> options) throws IOException;
}
