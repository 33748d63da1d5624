package dev.strata.cli;

import dev.strata.image.registry.Credentials;
import dev.strata.image.registry.RegistryLogin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.Console;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code image-tool login REGISTRY}: checks credentials against the registry, then stores them. */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = {"Log in to REGISTRY: the credentials are checked against it (its token or basic flow) and "
                + "only then stored, where podman stores them: $REGISTRY_AUTH_FILE, else "
                + "$XDG_RUNTIME_DIR/containers/auth.json, else ~/.docker/config.json (or --authfile), through the "
                + "credential helper that file names (credHelpers, credsStore) when it names one.",
                "A wrong password is exit 4 and stores nothing. The password is read from standard input with "
                        + "--password-stdin, else asked for on the terminal; never from the command line."},
        footer = {"", "Examples:", "  echo \"$TOKEN\" | image-tool login --username ci --password-stdin reg.example",
                "  image-tool login --authfile ./auth.json 127.0.0.1:5000"})
final class LoginCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REGISTRY", description = "The registry host[:port] (docker:// accepted).")
    String registry;

    @Option(names = {"-u", "--username"}, paramLabel = "USER", description = "The user name (asked for when absent).")
    String username;

    @Option(names = "--password-stdin", description = "Read the password from standard input (its first line).")
    boolean passwordStdin;

    @Option(names = "--authfile", paramLabel = "FILE", description = "Store the credentials in FILE.")
    Path authFile;

    @Option(names = "--tls-verify", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            paramLabel = "BOOL", description = "Verify TLS; false talks plain HTTP to the registry. Default: true.")
    boolean tlsVerify;

    @Option(names = "--cert-dir", paramLabel = "DIR", description = "Trust the *.crt files in DIR as well.")
    Path certDir;

    @Override
    public Integer call() throws IOException {
        Console console = System.console();
        String user = username;
        if (user == null) {
            if (console == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--username is needed without a "
                        + "terminal to ask on");
            }
            user = console.readLine("Username: ");
        }
        String password;
        if (passwordStdin) {
            password = RegistryFlags.readPasswordFromStdin();
        } else if (console != null) {
            char[] p = console.readPassword("Password: ");
            password = p == null ? "" : new String(p);
        } else {
            throw new CommandLine.ParameterException(spec.commandLine(), "--password-stdin is needed without a "
                    + "terminal to ask on");
        }
        if (user == null || user.isEmpty() || password.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "a user name and a password are needed");
        }
        var options = dev.strata.image.registry.RegistryOptions.defaults().withTlsVerify(tlsVerify);
        if (certDir != null) {
            options = options.withCertDir(certDir);
        }
        Path file = authFile != null ? authFile : RegistryLogin.defaultAuthFile(System.getenv(),
                Path.of(System.getProperty("user.home")));
        RegistryLogin.login(registry, Credentials.basic(user, password), file, options);
        System.out.println("Login Succeeded");
        return ExitCodes.OK;
    }
}
