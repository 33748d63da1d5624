package dev.strata.cli;

import dev.strata.image.store.Container;
import dev.strata.image.store.Store;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.concurrent.Callable;

/** {@code image-tool container create [--name NAME] IMAGE}: prints the new container's id. */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a container on IMAGE (a writable layer on its layers) and print its id.")
final class ContainerCreateCommand implements Callable<Integer> {
    @ParentCommand
    ContainerCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--name", paramLabel = "NAME", description = "Its name, unique in the store (default: "
            + "generated, such as calm_quartz).")
    String name;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "An image in the store.")
    String image;

    @Override
    public Integer call() throws IOException {
        if (name != null) {
            try {
                Container.checkName(name);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--name: " + e.getMessage());
            }
        }
        try (Store s = parent.openStore()) {
            System.out.println(s.createContainer(image, name).id());
        }
        return ExitCodes.OK;
    }
}
