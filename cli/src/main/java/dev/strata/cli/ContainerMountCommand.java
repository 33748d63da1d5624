package dev.strata.cli;

import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.concurrent.Callable;

/** {@code image-tool container mount CONTAINER}: prints a writable path that stays until {@code container umount}. */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = "Mount CONTAINER's root file system read-write and print where. The mount outlives this "
                + "command: release it with 'container umount'; mounting twice needs two umounts.")
final class ContainerMountCommand implements Callable<Integer> {
    @ParentCommand
    ContainerCommand parent;

    @Parameters(index = "0", paramLabel = "CONTAINER", description = "A name or an unambiguous id prefix.")
    String container;

    @Override
    public Integer call() throws IOException {
        try (Store s = parent.openStore()) {
            System.out.println(s.mountContainer(s.resolveContainer(container)));
        }
        return ExitCodes.OK;
    }
}
