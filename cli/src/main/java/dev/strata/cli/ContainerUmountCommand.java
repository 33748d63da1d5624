package dev.strata.cli;

import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.concurrent.Callable;

/** {@code image-tool container umount CONTAINER}: releases one {@code container mount}. */
@Command(name = "umount", aliases = "unmount", mixinStandardHelpOptions = true,
        description = "Release one mount of CONTAINER; the last release detaches it, whichever process mounted it.")
final class ContainerUmountCommand implements Callable<Integer> {
    @ParentCommand
    ContainerCommand parent;

    @Parameters(index = "0", paramLabel = "CONTAINER", description = "A name or an unambiguous id prefix.")
    String container;

    @Override
    public Integer call() throws IOException {
        int remaining;
        try (Store s = parent.openStore()) {
            remaining = s.unmountContainer(s.resolveContainer(container));
        }
        System.err.println(remaining == 0 ? "image-tool: unmounted " + container
                : "image-tool: released one mount of " + container + "; still mounted (" + remaining + " left)");
        return ExitCodes.OK;
    }
}
