package dev.strata.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/** Entry point of {@code image-tool}: parses the command line and maps failures to exit codes. */
@Command(name = "image-tool",
        mixinStandardHelpOptions = true,
        versionProvider = ImageTool.Version.class,
        description = "Layered container images: pull, unpack, diff and store them.",
        footer = {"", ExitCodes.HELP})
public final class ImageTool implements Runnable {
    /** The commands, in the order {@code --help} lists them. */
    private static final List<Class<?>> COMMANDS = List.of(PullCommand.class, CopyCommand.class, SaveCommand.class,
            LoadCommand.class, ApplyCommand.class, DiffCommand.class,
            UnpackCommand.class, ImportCommand.class, PushCommand.class, ImagesCommand.class, InspectCommand.class,
            LoginCommand.class, LogoutCommand.class, DigestCommand.class, ListTagsCommand.class, CatalogCommand.class, TagCommand.class, DeleteCommand.class,
            RmCommand.class, GcCommand.class, MountCommand.class, UmountCommand.class, ContainerCommand.class,
            CompletionCommand.class, CommandLine.HelpCommand.class);
    /**
     * Global options that take a value, which is not a command name even where it looks like one. The launcher
     * (src/main/dist/bin/image-tool) skips the same options to find the command word; LauncherTest checks both agree.
     */
    static final Set<String> GLOBAL_OPTIONS_WITH_VALUE = Set.of("--root", "--driver", "--lock-timeout");
    /**
     * Light commands: they read a few small files and make a handful of native calls, so the JIT's C2 compiler only
     * competes with them for the two cores (inspect of a 60-layer layout 144 -> 118 ms with C1 alone, hyperfine 20
     * runs), and jnr-ffi's reflection loader serves them better than the default one, which generates bytecode for
     * all ~50 libc functions up front (~0.1 s of a 0.5 s command) and pays off only for the hundreds of thousands of
     * calls of an apply, unpack or pull (not rm and gc either: they may unlink a whole tree). The whole suite also
     * passes with that loader: mvn test -Dstrata.test.jvmArgs=-Djnr.ffi.asm.enabled=false.
     */
    private static final Set<Class<?>> LIGHT_COMMANDS = Set.of(ImagesCommand.class, InspectCommand.class,
            MountCommand.class, UmountCommand.class);
    /** JVM options for light commands; the launcher passes them from the first recorded run on. */
    private static final List<String> LIGHT_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1",
            "-Djnr.ffi.asm.enabled=false");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    // Global options: accepted before or after the command name (./image-tool --root S unpack ... or unpack --root S).
    @CommandLine.Option(names = "--root", paramLabel = "STORE", scope = CommandLine.ScopeType.INHERIT,
            description = "Store directory (default: /var/lib/strata as root, $XDG_DATA_HOME/strata otherwise).")
    java.nio.file.Path root;

    @CommandLine.Option(names = "--driver", paramLabel = "NAME", scope = CommandLine.ScopeType.INHERIT,
            description = "Graph driver (vfs, overlay). Default: the driver that already holds the store's layers, "
                    + "else the best one this host supports.")
    String driver;

    @CommandLine.Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Log what the library does (SLF4J debug) and print stack traces of errors.")
    boolean debug;

    @CommandLine.Option(names = "--lock-timeout", paramLabel = "SECONDS", scope = CommandLine.ScopeType.INHERIT,
            description = "How long to wait for the store lock before failing with exit 8 and the holder's pid "
                    + "(default: $STRATA_LOCK_TIMEOUT, else 30).")
    String lockTimeout;

    /** Opens the store named by the global options, creating it if needed: for commands that add to it. */
    dev.strata.image.store.Store openStore() throws java.io.IOException {
        return dev.strata.image.store.Store.open(storeRoot(), storeOptions());
    }

    /**
     * Opens the store named by the global options if it exists (else "no store at ROOT", exit 3, and nothing
     * created): for commands that read it or act on what it holds.
     */
    dev.strata.image.store.Store openExistingStore() throws java.io.IOException {
        return dev.strata.image.store.Store.openExisting(storeRoot(), storeOptions());
    }

    java.nio.file.Path storeRoot() {
        return root != null ? root : dev.strata.image.store.Store.defaultRoot();
    }

    private dev.strata.image.store.StoreOptions storeOptions() {
        dev.strata.image.store.StoreOptions options = dev.strata.image.store.StoreOptions.defaults();
        if (driver != null) {
            java.util.List<String> known = dev.strata.image.driver.GraphDrivers.providers().stream()
                    .map(dev.strata.image.driver.GraphDriverProvider::name).toList();
            if (!known.contains(driver)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown --driver '" + driver
                        + "'; known: " + String.join(", ", known));
            }
            options = options.withDriver(driver);
        }
        String timeout = lockTimeout != null ? lockTimeout : System.getenv("STRATA_LOCK_TIMEOUT");
        if (timeout != null) {
            options = options.withLockTimeout(seconds(timeout, lockTimeout != null ? "--lock-timeout"
                    : "STRATA_LOCK_TIMEOUT"));
        }
        return options;
    }

    /** A non-negative number of seconds, decimals allowed ({@code 0.5}). */
    private java.time.Duration seconds(String value, String what) {
        try {
            java.math.BigDecimal s = new java.math.BigDecimal(value.trim());
            if (s.signum() >= 0 && s.compareTo(java.math.BigDecimal.valueOf(86_400L * 365)) <= 0) {
                return java.time.Duration.ofNanos(s.movePointRight(9).longValue());
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CommandLine.ParameterException(spec.commandLine(), what + ": '" + value
                + "' is not a number of seconds (e.g. 30 or 0.5)");
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        // Read once, when jnr-ffi binds its first library: before any command runs.
        Class<?> named = namedCommand(args);
        boolean light = named != null && LIGHT_COMMANDS.contains(named);
        if (light && System.getProperty("jnr.ffi.asm.enabled") == null) {
            System.setProperty("jnr.ffi.asm.enabled", "false");  // read when jnr-ffi binds its first library
        }
        recordJvmOptions(light);
        System.exit(execute(args));
    }

    /**
     * On the launcher's recording run ($IMAGE_TOOL_RECORD_JVM_OPTIONS names a file), writes the JVM options later
     * runs of this command word should get, one per line (a java @argfile), so the launcher needs to know no command.
     */
    private static void recordJvmOptions(boolean light) {
        String file = System.getenv("IMAGE_TOOL_RECORD_JVM_OPTIONS");
        if (file != null) {
            try {
                java.nio.file.Files.write(java.nio.file.Path.of(file), light ? LIGHT_JVM_OPTIONS : List.of());
            } catch (IOException | RuntimeException e) {
                // Only a start-up hint: the command itself must not fail for it.
            }
        }
    }

    /** Runs the CLI and returns its exit code; tests call this instead of {@link #main}. */
    public static int execute(String... args) {
        // slf4j-simple reads its level once, when the first logger is made: normal runs show errors only, --debug all.
        boolean debug = Arrays.asList(args).contains("--debug");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "error");
        CommandLine cli = new CommandLine(new ImageTool());
        // picocli reflects over a command's fields when the command is added; a run needs only the one it names
        // (about 0.1 s of start-up for all twelve). Usage errors and help need them all.
        Class<?> named = namedCommand(args);
        for (Class<?> command : named != null ? List.of(named) : COMMANDS) {
            cli.addSubcommand(new CommandLine(command));
        }
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // One line on stderr: the message names the entry, digest or path; stack traces only on request.
            cmd.getErr().println("image-tool: error: " + ExitCodes.message(e));
            if (debug || System.getenv("IMAGE_TOOL_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return ExitCodes.of(e);
        });
        cli.setParameterExceptionHandler((e, badArgs) -> {
            // A usage error: the problem, the one usage line, where the whole help is; not the whole help.
            CommandLine cmd = e.getCommandLine();
            java.io.PrintWriter err = cmd.getErr();
            err.println("image-tool: error: " + e.getMessage());
            String synopsis = cmd.getHelp().synopsis(0).trim();
            err.println("usage: " + synopsis.replaceAll("\\s+", " "));
            err.println("see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
            return ExitCodes.USAGE;
        });
        // Help as wide as the terminal (at least 100 columns), so examples are not broken inside a reference.
        cli.setUsageHelpAutoWidth(true);
        cli.setUsageHelpWidth(120);
        return cli.execute(args);
    }

    /** The whole command tree, for what needs every command (the completion script). */
    static CommandLine fullCommandLine() {
        CommandLine cli = new CommandLine(new ImageTool());
        for (Class<?> command : COMMANDS) {
            cli.addSubcommand(new CommandLine(command));
        }
        return cli;
    }

    /** The command class {@code args} name, or null when there is none or it is unknown, or help is asked for. */
    static Class<?> namedCommand(String... args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (GLOBAL_OPTIONS_WITH_VALUE.contains(a)) {
                i++;
            } else if (!a.startsWith("-")) {
                for (Class<?> c : COMMANDS) {
                    Command command = c.getAnnotation(Command.class);
                    if (c != CommandLine.HelpCommand.class && (command.name().equals(a)
                            || Arrays.asList(command.aliases()).contains(a))) {
                        return c;
                    }
                }
                return null;
            } else if (a.equals("--")) {
                return null;
            }
        }
        return null;
    }

    /** Reads the version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = ImageTool.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"image-tool " + p.getProperty("version", "unknown"),
                    "Java " + System.getProperty("java.version") + " on " + System.getProperty("os.name") + " "
                            + System.getProperty("os.arch"),
                    "gzip layers inflated by " + dev.strata.image.layer.Compression.gzipDecoder()};
        }
    }
}
