package dev.strata.image.model;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The execution defaults of an image (the {@code config} object of an image config). Absent and JSON
 * {@code null} lists and maps both become empty.
 *
 * @param user       may be null
 * @param workingDir may be null
 * @param stopSignal may be null
 */
public record RuntimeConfig(String user, List<String> env, List<String> entrypoint, List<String> cmd,
                            String workingDir, Map<String, String> labels, Set<String> exposedPorts,
                            Set<String> volumes, String stopSignal) {

    public static final RuntimeConfig EMPTY = new RuntimeConfig(null, List.of(), List.of(), List.of(), null,
            Map.of(), Set.of(), Set.of(), null);

    public RuntimeConfig {
        env = env == null ? List.of() : List.copyOf(env);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        exposedPorts = exposedPorts == null ? Set.of() : Set.copyOf(exposedPorts);
        volumes = volumes == null ? Set.of() : Set.copyOf(volumes);
    }
}
