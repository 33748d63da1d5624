package dev.strata.cli;

import dev.strata.image.content.ContentStore;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Platform;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code image-tool unpack IMAGE TARGET_DIR}: the flattened root file system of an image in a plain directory. */
@Command(name = "unpack", mixinStandardHelpOptions = true,
        description = "Write the flattened root file system of IMAGE into TARGET_DIR (every layer applied in order, "
                + "whiteouts as deletions): the rootfs umoci unpack produces.",
        footer = {"", "IMAGE is a name in the store, or oci:DIR[:NAME] for an OCI image layout.", "",
                "Examples:", "  image-tool unpack oci:./layout:app rootfs/",
                "  image-tool --root /srv/strata unpack docker.io/library/busybox:latest rootfs/"})
final class UnpackCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "A store image or oci:DIR[:NAME].")
    String image;

    @Parameters(index = "1", paramLabel = "TARGET_DIR", description = "Where the rootfs goes: must not exist, or be "
            + "empty; built beside it and renamed in when complete.")
    Path target;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pick from a "
            + "multi-platform image (default: this host's).")
    String platform;

    @Override
    public Integer call() throws IOException {
        Platform p = platform != null ? Platform.parse(platform) : Platform.host();
        ImageArg arg = ImageArg.parse(image);
        if (arg.isLayout()) {
            ContentStore layout = ContentStore.openReadOnly(arg.layout());
            ImageManifest manifest = Store.resolveManifest(layout, arg.name(), p);
            Store.unpack(layout, manifest, target);
        } else {
            try (Store s = tool.openExistingStore()) {
                s.unpack(s.resolveImage(arg.name()).name(), target);
            }
        }
        System.err.println("image-tool: unpacked " + image + " into " + target);
        return ExitCodes.OK;
    }
}
