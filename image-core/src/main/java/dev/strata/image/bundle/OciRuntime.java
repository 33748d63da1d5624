package dev.strata.image.bundle;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.UnsupportedPlatformException;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An OCI runtime command ({@code runc}; crun takes the same verbs) that runs bundles in the foreground: the
 * container's stdin, stdout and stderr are this process's, and {@link #run} returns its exit code (128 + the signal
 * when a signal ended it, as runc reports it). Whatever happens to the wait, the runtime's state of the container
 * is deleted afterwards ({@code delete --force}), so a failed or interrupted run leaves no container behind.
 */
public final class OciRuntime {
    /** runc's rule for container ids. */
    private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9_][\\w+.-]{0,1023}");

    private final Path executable;
    private final Path stateRoot;

    private OciRuntime(Path executable, Path stateRoot) {
        this.executable = executable;
        this.stateRoot = stateRoot;
    }

    /** {@code runc} from the PATH. */
    public static OciRuntime find() {
        return find("runc");
    }

    /**
     * The runtime {@code nameOrPath}: a path when it holds a {@code /}, else a command looked up on the PATH.
     *
     * @throws UnsupportedPlatformException when there is no such executable
     */
    public static OciRuntime find(String nameOrPath) {
        Objects.requireNonNull(nameOrPath, "nameOrPath");
        if (nameOrPath.isEmpty()) {
            throw new IllegalArgumentException("empty OCI runtime name");
        }
        if (nameOrPath.contains("/")) {
            Path p = Path.of(nameOrPath).toAbsolutePath();
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw new UnsupportedPlatformException("OCI runtime " + nameOrPath + " is not an executable file");
            }
            return new OciRuntime(p, null);
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null || path.isEmpty() ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                : path).split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, nameOrPath).toAbsolutePath();
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return new OciRuntime(p, null);
            }
        }
        throw new UnsupportedPlatformException("OCI runtime '" + nameOrPath + "' not found on the PATH"
                + ("runc".equals(nameOrPath) ? " (install it: apt-get install runc)" : ""));
    }

    /** This runtime keeping its container state under {@code dir} ({@code --root}; runc's default: /run/runc). */
    public OciRuntime withStateRoot(Path dir) {
        return new OciRuntime(executable, dir.toAbsolutePath());
    }

    /** The runtime's executable. */
    public Path executable() {
        return executable;
    }

    /**
     * Runs the bundle in {@code bundleDir} as container {@code containerId} in the foreground and returns the exit
     * code of its process (the runtime's own, 1 in runc's case, when it could not start it: its message is on
     * stderr). {@code tty} must match the bundle's {@code process.terminal}: with a terminal the runtime puts the
     * one on stdin in raw mode, and without one on stdin it cannot start at all, which is refused here first.
     *
     * @throws FailedPreconditionException when a terminal is asked for and this process's stdin/stdout is none, or
     *                                     the bundle has no config.json
     * @throws InterruptedIOException      when the thread is interrupted: the runtime is killed, the container
     *                                     deleted
     */
    public int run(Path bundleDir, String containerId, boolean tty) throws IOException {
        checkId(containerId);
        Path bundle = bundleDir.toAbsolutePath();
        if (!Files.isRegularFile(bundle.resolve(RuntimeBundle.CONFIG_JSON))) {
            throw new FailedPreconditionException("no " + RuntimeBundle.CONFIG_JSON + " in bundle " + bundleDir);
        }
        if (tty && System.console() == null) {
            throw new FailedPreconditionException("a terminal was asked for, but stdin or stdout is not a terminal");
        }
        List<String> command = command("run", "--bundle", bundle.toString(), containerId);
        Process p = new ProcessBuilder(command).inheritIO().start();
        boolean exited = false;
        try {
            int code = p.waitFor();
            exited = true;
            if (code != 0) {
                delete(containerId); // runc removes what it ran; a start that failed half-way may not have
            }
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while container " + containerId + " ran");
        } finally {
            if (!exited) {
                p.destroyForcibly();
                boolean interrupted = Thread.interrupted();
                try {
                    p.waitFor();
                } catch (InterruptedException ignored) {
                    interrupted = true;
                }
                delete(containerId);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Removes container {@code containerId} from the runtime ({@code delete --force}: its processes are killed). No
     * such container is no error (runc says nothing then either), so this is safe on every cleanup path.
     */
    public void delete(String containerId) throws IOException {
        checkId(containerId);
        Process p = new ProcessBuilder(command("delete", "--force", containerId))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        boolean interrupted = false;
        while (true) {
            try {
                p.waitFor();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return;
            } catch (InterruptedException e) {
                interrupted = true; // the delete is cleanup: finish it, then keep the interrupt
            }
        }
    }

    private List<String> command(String... args) {
        List<String> c = new ArrayList<>();
        c.add(executable.toString());
        if (stateRoot != null) {
            c.add("--root");
            c.add(stateRoot.toString());
        }
        c.addAll(List.of(args));
        return c;
    }

    private static void checkId(String id) {
        if (id == null || !CONTAINER_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a valid container id (letters, digits, _ + - .): " + id);
        }
    }

    @Override
    public String toString() {
        return "OciRuntime[" + executable + (stateRoot != null ? " --root " + stateRoot : "") + "]";
    }
}
