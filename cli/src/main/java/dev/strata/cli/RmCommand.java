package dev.strata.cli;

import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code image-tool rm IMAGE...}: forgets image names; layers no other image uses go with them. */
@Command(name = "rm", aliases = "rmi", mixinStandardHelpOptions = true,
        description = "Remove images from the store by name. Layers that no other image (or mount, or pull in "
                + "progress) uses are removed with them; blobs stay until gc.",
        footer = {"", "A mounted image is refused (exit 8): umount it first.", "", "Examples:",
                "  image-tool rm docker.io/library/busybox:latest", "  image-tool rm 1cd38418251b"})
final class RmCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image names, as `images` lists them.")
    List<String> names;

    @Override
    public Integer call() throws IOException {
        try (Store s = tool.openStore()) {
            for (String name : names) {
                s.removeImage(s.resolveImage(name).name()); // the first failure stops: later names stay untouched
                System.out.println(name);
            }
        }
        return ExitCodes.OK;
    }
}
