package dev.strata.image.bundle;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How {@link RuntimeBundle#write} shapes a bundle beyond what the image config says.
 *
 * @param rootfs   the root file system; null: {@code BUNDLE/rootfs}, written as the relative {@code rootfs} (an
 *                 unpacked bundle that can be moved). Any other directory is written as an absolute path, so a
 *                 container's read-write mount can be the root without a copy
 * @param terminal whether the process gets a terminal ({@code process.terminal}; the runtime then needs one on its
 *                 own stdin)
 * @param args     when not empty, the whole command line, replacing the image's Entrypoint and Cmd (as
 *                 {@code docker exec} and {@code buildah run} take one)
 * @param env      {@code KEY=VALUE} entries added to the image's, replacing an image entry of the same key
 * @param hostname the container's host name ({@code hostname}; a UTS namespace is always made)
 * @param user     when not null, replaces the image's {@code USER} ({@code user[:group]}, names or ids)
 */
public record BundleOptions(Path rootfs, boolean terminal, List<String> args, List<String> env, String hostname,
                            String user) {
    /** As RFC 1123 host names, which is what {@code sethostname} in the container should get. */
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern ENV_KEY = Pattern.compile("[^=\\x00]+");

    public BundleOptions {
        args = List.copyOf(args);
        env = List.copyOf(env);
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq <= 0 || !ENV_KEY.matcher(e.substring(0, eq)).matches() || e.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("environment entry must be KEY=VALUE: " + e);
            }
        }
        if (hostname == null || hostname.length() > 253 || !HOSTNAME.matcher(hostname).matches()) {
            throw new IllegalArgumentException("not a host name: " + hostname);
        }
    }

    /** Rootfs in {@code BUNDLE/rootfs}, no terminal, the image's command and environment, host name {@code strata}. */
    public static BundleOptions defaults() {
        return new BundleOptions(null, false, List.of(), List.of(), "strata", null);
    }

    /** These options with the root file system at {@code dir} (written into the spec as an absolute path). */
    public BundleOptions withRootfs(Path dir) {
        return new BundleOptions(dir, terminal, args, env, hostname, user);
    }

    /** These options with a terminal or without. */
    public BundleOptions withTerminal(boolean tty) {
        return new BundleOptions(rootfs, tty, args, env, hostname, user);
    }

    /** These options with a command line that replaces the image's Entrypoint and Cmd (empty: the image's). */
    public BundleOptions withArgs(List<String> commandLine) {
        return new BundleOptions(rootfs, terminal, commandLine, env, hostname, user);
    }

    /** These options with {@code KEY=VALUE} entries over the image's environment. */
    public BundleOptions withEnv(List<String> entries) {
        return new BundleOptions(rootfs, terminal, args, entries, hostname, user);
    }

    /** These options with host name {@code name}. */
    public BundleOptions withHostname(String name) {
        return new BundleOptions(rootfs, terminal, args, env, name, user);
    }

    /** These options with {@code spec} ({@code user[:group]}) instead of the image's USER. */
    public BundleOptions withUser(String spec) {
        return new BundleOptions(rootfs, terminal, args, env, hostname, spec);
    }
}
