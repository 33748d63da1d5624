package dev.strata.cli;

import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.concurrent.Callable;

/** {@code image-tool container rm CONTAINER}: removes it (refused while mounted unless {@code --force}). */
@Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true,
        description = "Remove CONTAINER and its layer. Refused while it is mounted, unless --force, which unmounts "
                + "it first.")
final class ContainerRmCommand implements Callable<Integer> {
    @ParentCommand
    ContainerCommand parent;

    @Option(names = {"-f", "--force"}, description = "Unmount it first if mounted.")
    boolean force;

    @Parameters(index = "0", paramLabel = "CONTAINER", description = "A name or an unambiguous id prefix.")
    String container;

    @Override
    public Integer call() throws IOException {
        try (Store s = parent.openStore()) {
            var c = s.resolveContainer(container);
            s.removeContainer(c, force);
            System.out.println(c.id());
        }
        return ExitCodes.OK;
    }
}
