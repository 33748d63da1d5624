package dev.strata.cli;

import dev.strata.image.store.Store;
import dev.strata.image.transport.CopyResult;
import dev.strata.image.transport.DockerArchiveSource;
import dev.strata.image.transport.ImageCopier;
import dev.strata.image.transport.ImageLocation;
import dev.strata.image.transport.Transports;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code image-tool load -i FILE}: every image of a docker save archive into the store. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Add every image of a docker save archive (docker save, skopeo docker-archive:, image-tool "
                + "save) to the store, under each of its repo tags (an untagged image under its config digest). "
                + "The archive holds no manifests: each image gets a new one; configs and DiffIDs are kept.",
        footer = {"", "Examples:", "  image-tool load -i busybox.tar", "  docker save app:1 | ... ; "
                + "image-tool --root /srv/strata load -i app.tar"})
final class LoadCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE", description = "The archive to read.")
    Path input;

    @CommandLine.Mixin
    CopyFlags flags;

    @Override
    public Integer call() throws IOException {
        List<String> loaded = new ArrayList<>();
        try (Store store = tool.openStore()) {
            Transports transports = new Transports(null, store);
            for (DockerArchiveSource image : DockerArchiveSource.openAll(input)) {
                List<String> names = new ArrayList<>(image.repoTags());
                if (names.isEmpty()) {
                    names.add(image.root().descriptor().digest().toString());
                }
                CopyResult result = null;
                for (String name : names) {
                    try (var dest = transports.destination(new ImageLocation.Store(name), name)) {
                        result = ImageCopier.copy(image, dest, flags.options(spec.commandLine()));
                    }
                    loaded.add(dev.strata.image.transport.Transports.storeName(name));
                }
                if (!flags.quiet && !flags.json && result != null) {
                    result.notes().forEach(n -> System.err.println("Note: " + n));
                }
            }
        }
        if (flags.json) {
            Output.printJson(loaded);
        } else {
            loaded.forEach(n -> System.out.println("Loaded image " + n));
        }
        return ExitCodes.OK;
    }
}
