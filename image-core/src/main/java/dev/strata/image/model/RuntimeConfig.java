package dev.strata.image.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The execution defaults of an image (the {@code config} object of an image config). Absent and JSON
 * {@code null} lists and maps both become empty; labels, ports and volumes keep their document (or insertion)
 * order. Docker tells a JSON {@code null} Entrypoint or Cmd (none given) from an explicit {@code []}
 * ({@code ENTRYPOINT []}, which also clears an inherited one): {@code explicitEmptyEntrypoint} and
 * {@code explicitEmptyCmd} record the latter so that an edited config writes it back as it was; both are false
 * whenever the list is not empty. Build changed values with {@link #toBuilder()}.
 *
 * @param user       may be null
 * @param workingDir may be null
 * @param stopSignal may be null
 */
public record RuntimeConfig(String user, List<String> env, List<String> entrypoint, List<String> cmd,
                            String workingDir, Map<String, String> labels, Set<String> exposedPorts,
                            Set<String> volumes, String stopSignal, boolean explicitEmptyEntrypoint,
                            boolean explicitEmptyCmd) {

    public static final RuntimeConfig EMPTY = new RuntimeConfig(null, List.of(), List.of(), List.of(), null,
            Map.of(), Set.of(), Set.of(), null);

    public RuntimeConfig {
        env = env == null ? List.of() : List.copyOf(env);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        labels = labels == null ? Map.of() : orderedCopy(labels);
        exposedPorts = exposedPorts == null ? Set.of() : orderedCopy(exposedPorts);
        volumes = volumes == null ? Set.of() : orderedCopy(volumes);
        explicitEmptyEntrypoint = explicitEmptyEntrypoint && entrypoint.isEmpty();
        explicitEmptyCmd = explicitEmptyCmd && cmd.isEmpty();
    }

    /** A config whose empty Entrypoint and Cmd are "none given" (JSON {@code null}). */
    public RuntimeConfig(String user, List<String> env, List<String> entrypoint, List<String> cmd,
                         String workingDir, Map<String, String> labels, Set<String> exposedPorts,
                         Set<String> volumes, String stopSignal) {
        this(user, env, entrypoint, cmd, workingDir, labels, exposedPorts, volumes, stopSignal, false, false);
    }

    /** A builder that starts empty. */
    public static Builder builder() {
        return new Builder(EMPTY);
    }

    /** A builder that starts with this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The value of {@code key} in {@link #env()} ({@code KEY=value}; the last one counts), or null. */
    public String envValue(String key) {
        String found = null;
        for (String e : env) {
            if (envKey(e).equals(key)) {
                int eq = e.indexOf('=');
                found = eq < 0 ? "" : e.substring(eq + 1);
            }
        }
        return found;
    }

    private static String envKey(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(0, eq);
    }

    private static <K, V> Map<K, V> orderedCopy(Map<K, V> map) {
        Map<K, V> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value")));
        return Collections.unmodifiableMap(copy);
    }

    private static <E> Set<E> orderedCopy(Set<E> set) {
        Set<E> copy = new LinkedHashSet<>();
        for (E e : set) {
            copy.add(Objects.requireNonNull(e, "element"));
        }
        return Collections.unmodifiableSet(copy);
    }

    /**
     * Collects changes to a {@link RuntimeConfig}. Not thread-safe; {@link #build()} returns an immutable value.
     * Setting Entrypoint or Cmd to an empty list makes it an explicit {@code []}; {@code null} makes it "none".
     */
    public static final class Builder {
        private String user;
        private final List<String> env;
        private List<String> entrypoint;
        private List<String> cmd;
        private boolean explicitEmptyEntrypoint;
        private boolean explicitEmptyCmd;
        private String workingDir;
        private final Map<String, String> labels;
        private final Set<String> exposedPorts;
        private final Set<String> volumes;
        private String stopSignal;

        private Builder(RuntimeConfig c) {
            user = c.user;
            env = new ArrayList<>(c.env);
            entrypoint = c.entrypoint;
            cmd = c.cmd;
            explicitEmptyEntrypoint = c.explicitEmptyEntrypoint;
            explicitEmptyCmd = c.explicitEmptyCmd;
            workingDir = c.workingDir;
            labels = new LinkedHashMap<>(c.labels);
            exposedPorts = new LinkedHashSet<>(c.exposedPorts);
            volumes = new LinkedHashSet<>(c.volumes);
            stopSignal = c.stopSignal;
        }

        /** The user (name or uid, optionally {@code :group}), or null for none. */
        public Builder user(String value) {
            user = value;
            return this;
        }

        /** The entrypoint: null for none, an empty list for an explicit {@code []}. */
        public Builder entrypoint(List<String> value) {
            entrypoint = value == null ? List.of() : List.copyOf(value);
            explicitEmptyEntrypoint = value != null && value.isEmpty();
            return this;
        }

        /** The default command: null for none, an empty list for an explicit {@code []}. */
        public Builder cmd(List<String> value) {
            cmd = value == null ? List.of() : List.copyOf(value);
            explicitEmptyCmd = value != null && value.isEmpty();
            return this;
        }

        /**
         * Sets {@code key} to {@code value}: an existing entry of that key is replaced where it stands (and any later
         * duplicate of it dropped), a new one goes last.
         */
        public Builder env(String key, String value) {
            Objects.requireNonNull(value, "value");
            if (Objects.requireNonNull(key, "key").isEmpty() || key.indexOf('=') >= 0) {
                throw new IllegalArgumentException("invalid environment variable name '" + key + "'");
            }
            String entry = key + "=" + value;
            boolean replaced = false;
            for (int i = 0; i < env.size(); i++) {
                if (envKey(env.get(i)).equals(key)) {
                    if (replaced) {
                        env.remove(i--);
                    } else {
                        env.set(i, entry);
                        replaced = true;
                    }
                }
            }
            if (!replaced) {
                env.add(entry);
            }
            return this;
        }

        /** Removes every entry of {@code key}. */
        public Builder removeEnv(String key) {
            env.removeIf(e -> envKey(e).equals(key));
            return this;
        }

        /** Replaces the whole environment ({@code KEY=value} entries, in order). */
        public Builder env(List<String> entries) {
            env.clear();
            for (String e : entries) {
                env.add(Objects.requireNonNull(e, "entry"));
            }
            return this;
        }

        /** The working directory, or null for none. */
        public Builder workingDir(String value) {
            workingDir = value;
            return this;
        }

        /** Sets a label; a new key goes last, an existing one keeps its place. */
        public Builder label(String key, String value) {
            labels.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder removeLabel(String key) {
            labels.remove(key);
            return this;
        }

        /** Replaces all labels, in the map's iteration order. */
        public Builder labels(Map<String, String> value) {
            labels.clear();
            value.forEach(this::label);
            return this;
        }

        /** Adds an exposed port as Docker spells it ({@code 8080/tcp}). */
        public Builder exposedPort(String port) {
            exposedPorts.add(Objects.requireNonNull(port, "port"));
            return this;
        }

        public Builder exposedPorts(Set<String> value) {
            exposedPorts.clear();
            value.forEach(this::exposedPort);
            return this;
        }

        public Builder volume(String path) {
            volumes.add(Objects.requireNonNull(path, "path"));
            return this;
        }

        public Builder volumes(Set<String> value) {
            volumes.clear();
            value.forEach(this::volume);
            return this;
        }

        /** The stop signal ({@code SIGTERM}, {@code 9}), or null for none. */
        public Builder stopSignal(String value) {
            stopSignal = value;
            return this;
        }

        /** The working directory as set so far, for relative {@code WORKDIR}s. */
        public String workingDir() {
            return workingDir;
        }

        public RuntimeConfig build() {
            return new RuntimeConfig(user, env, entrypoint, cmd, workingDir, labels, exposedPorts, volumes,
                    stopSignal, explicitEmptyEntrypoint, explicitEmptyCmd);
        }
    }
}
