package dev.strata.cli;

import dev.strata.image.registry.RegistryLogin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code image-tool logout REGISTRY | --all}: forgets stored credentials. */
@Command(name = "logout", mixinStandardHelpOptions = true,
        description = "Forget the credentials stored for REGISTRY (in the auth file and in the credential helper it "
                + "names), or with --all every credential the auth file holds. Exit 3 when none were stored.",
        footer = {"", "Examples:", "  image-tool logout 127.0.0.1:5000", "  image-tool logout --all"})
final class LogoutCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REGISTRY", description = "The registry host[:port].")
    String registry;

    @Option(names = "--all", description = "Forget every credential in the auth file.")
    boolean all;

    @Option(names = "--authfile", paramLabel = "FILE", description = "The auth file (default: as login chooses).")
    Path authFile;

    @Override
    public Integer call() throws IOException {
        if (all == (registry != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "name a REGISTRY or give --all");
        }
        Path file = authFile != null ? authFile : RegistryLogin.defaultAuthFile(System.getenv(),
                Path.of(System.getProperty("user.home")));
        if (all) {
            System.out.println("Removed " + RegistryLogin.logoutAll(file) + " login(s) from " + file);
            return ExitCodes.OK;
        }
        if (!RegistryLogin.logout(registry, file)) {
            throw new dev.strata.image.NotFoundException("not logged in to " + registry + " (" + file + ")");
        }
        System.out.println("Removed login credentials for " + registry);
        return ExitCodes.OK;
    }
}
