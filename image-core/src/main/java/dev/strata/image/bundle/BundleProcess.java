package dev.strata.image.bundle;

import java.util.List;

/**
 * The process a bundle's {@code config.json} starts, as {@link RuntimeBundle#write} decided it.
 *
 * @param args     the command line: the options' args, else the image's Entrypoint followed by its Cmd, else
 *                 {@code sh} (what {@code runc spec} and {@code umoci unpack} write for an image without a command)
 * @param env      the image's environment with the options' entries over it, {@code PATH} defaulted, {@code HOME}
 *                 the user's home unless set, {@code TERM=xterm} with a terminal
 * @param cwd      the image's WorkingDir made absolute, {@code /} when it has none
 * @param user     the ids resolved in the rootfs
 * @param terminal whether the process has a terminal
 */
public record BundleProcess(List<String> args, List<String> env, String cwd, ExecUser user, boolean terminal) {
    public BundleProcess {
        args = List.copyOf(args);
        env = List.copyOf(env);
    }
}
