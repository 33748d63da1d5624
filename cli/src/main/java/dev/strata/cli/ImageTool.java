package dev.strata.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/** Entry point of {@code image-tool}: parses the command line and maps failures to exit codes. */
@Command(name = "image-tool",
        mixinStandardHelpOptions = true,
        versionProvider = ImageTool.Version.class,
        description = "Layered container images: pull, unpack, diff and store them.",
        footer = {"", ExitCodes.HELP})
public final class ImageTool implements Runnable {
    /**
     * The commands by name and alias, in the order help lists them. Registered by hand, not through
     * {@code @Command(subcommands=…)}: picocli builds a command's model by reflection when it is registered, and
     * building all of them cost a fresh JVM about as much as the one that runs (see {@link #commandsFor}).
     */
    static final Map<String, Class<?>> COMMANDS = commandTable();

    private static Map<String, Class<?>> commandTable() {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        m.put("pull", PullCommand.class);
        m.put("apply", ApplyCommand.class);
        m.put("diff", DiffCommand.class);
        m.put("unpack", UnpackCommand.class);
        m.put("import", ImportCommand.class);
        m.put("push", PushCommand.class);
        m.put("images", ImagesCommand.class);
        m.put("inspect", InspectCommand.class);
        m.put("rm", RmCommand.class);
        m.put("rmi", RmCommand.class);
        m.put("gc", GcCommand.class);
        m.put("mount", MountCommand.class);
        m.put("umount", UmountCommand.class);
        m.put("unmount", UmountCommand.class);
        m.put("help", CommandLine.HelpCommand.class);
        return m;
    }

    /** Commands that never read or write JSON: no Jackson warm-up for them. */
    private static final Set<Class<?>> NO_JSON = Set.of(ApplyCommand.class, DiffCommand.class);

    /** Global options that take a value; they may come before the command name. */
    private static final String[] GLOBAL_VALUE_OPTIONS = {"--root", "--driver"};

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

    /** Opens the store named by the global options. */
    dev.strata.image.store.Store openStore() throws java.io.IOException {
        dev.strata.image.store.StoreOptions options = dev.strata.image.store.StoreOptions.defaults();
        if (driver != null) {
            options = options.withDriver(driver);
        }
        return dev.strata.image.store.Store.open(root != null ? root : dev.strata.image.store.Store.defaultRoot(),
                options);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code; tests call this instead of {@link #main}. */
    public static int execute(String... args) {
        Collection<Class<?>> commands = commandsFor(args);
        if (commands.size() == 1 && !NO_JSON.contains(commands.iterator().next())) {
            JsonWarmup.start();
        }
        CommandLine cli = new CommandLine(new ImageTool());
        for (Class<?> command : commands) {
            cli.addSubcommand(command);
        }
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // One line on stderr: the message names the entry, digest or path; stack traces only on request.
            String message = e.getMessage() != null ? e.getMessage() : e.toString();
            cmd.getErr().println("image-tool: error: " + message);
            if (System.getenv("IMAGE_TOOL_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return ExitCodes.of(e);
        });
        return cli.execute(args);
    }

    /**
     * The commands to register for {@code args}: only the named one when the command line names one that needs
     * nothing else (its own help and errors are complete without the others); all of them for top-level help, the
     * help command, a missing or unknown name, or anything this scan does not understand — picocli then parses
     * and reports as usual. Saves building a dozen unused models on every start.
     */
    static Collection<Class<?>> commandsFor(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (isGlobalValueOption(a)) {
                i++; // its value
                continue;
            }
            if (a.startsWith("--root=") || a.startsWith("--driver=")) {
                continue;
            }
            Class<?> named = a.startsWith("-") || a.equals("help") ? null : COMMANDS.get(a);
            if (named != null) {
                return List.of(named);
            }
            break;
        }
        return new LinkedHashSet<>(COMMANDS.values());
    }

    private static boolean isGlobalValueOption(String arg) {
        for (String o : GLOBAL_VALUE_OPTIONS) {
            if (o.equals(arg)) {
                return true;
            }
        }
        return false;
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
                            + System.getProperty("os.arch")};
        }
    }
}
