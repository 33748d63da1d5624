package dev.strata.cli;

import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code image-tool catalog REGISTRY}: the repositories a registry lists. */
@Command(name = "catalog", mixinStandardHelpOptions = true,
        description = "List the repositories of a registry (GET /v2/_catalog), one per line, following its pages. "
                + "Many public registries do not offer a catalog.",
        footer = {"", "Examples:", "  image-tool catalog 127.0.0.1:5000"})
final class CatalogCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REGISTRY", description = "A registry host[:port] (docker:// accepted).")
    String registryHost;

    @Option(names = "--json", description = "Print a JSON list.")
    boolean json;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        String host = registryHost.startsWith("docker://") ? registryHost.substring("docker://".length())
                : registryHost;
        while (host.endsWith("/")) {
            host = host.substring(0, host.length() - 1);
        }
        ImageReference probe = new ImageReference(host, "strata-probe", "latest", null);
        List<String> repositories = RegistryClient.create(host, registry.options(probe, spec.commandLine()))
                .catalog();
        if (json) {
            Output.printJson(repositories);
        } else {
            repositories.forEach(System.out::println);
        }
        return ExitCodes.OK;
    }
}
