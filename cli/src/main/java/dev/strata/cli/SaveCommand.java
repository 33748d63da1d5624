package dev.strata.cli;

import dev.strata.image.store.Store;
import dev.strata.image.transport.CopyResult;
import dev.strata.image.transport.DockerArchiveWriter;
import dev.strata.image.transport.ImageCopier;
import dev.strata.image.transport.ImageLocation;
import dev.strata.image.transport.ImageSource;
import dev.strata.image.transport.Transports;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code image-tool save IMAGE... -o FILE}: images into one docker save archive, as {@code docker save} writes. */
@Command(name = "save", mixinStandardHelpOptions = true,
        description = "Write IMAGEs (store names, or any copy source such as docker://REF or oci:DIR:NAME) into one "
                + "docker save archive that docker load, skopeo (docker-archive:) and image-tool load read. Layers "
                + "are stored uncompressed, so each image gets a new manifest; configs and DiffIDs are kept.",
        footer = {"", "Examples:", "  image-tool save -o busybox.tar docker.io/library/busybox:latest",
                "  image-tool save -o both.tar app:1 docker://127.0.0.1:5000/tools:2"})
final class SaveCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Images to save: store names or copy sources.")
    List<String> images;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The archive to write.")
    Path output;

    @CommandLine.Mixin
    CopyFlags flags;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() throws IOException {
        List<ImageLocation> sources = images.stream().map(i -> ImageLocation.parse(i, ImageLocation.Bare.STORE))
                .toList();
        boolean needsStore = sources.stream().anyMatch(s -> s instanceof ImageLocation.Store);
        ImageLocation firstRegistry = sources.stream().filter(s -> s instanceof ImageLocation.Registry).findFirst()
                .orElse(null);
        try (Store store = needsStore ? tool.openStore() : null;
             DockerArchiveWriter archive = DockerArchiveWriter.create(output)) {
            Transports transports = new Transports(registry.options(CopyCommand.registryOf(firstRegistry, null),
                    spec.commandLine()), store);
            for (ImageLocation src : sources) {
                CopyResult result;
                try (ImageSource in = transports.source(src)) {
                    result = ImageCopier.copy(in, archive.image(tagOf(src)), flags.options(spec.commandLine()));
                }
                if (!flags.quiet && !flags.json) {
                    System.err.println("Saved " + src + " as " + result.written().digest());
                }
            }
        }
        if (!flags.quiet) {
            System.out.println(output);
        }
        return ExitCodes.OK;
    }

    /** The repo tag an image gets in the archive: its store or registry name; none for layouts and archives. */
    private static String tagOf(ImageLocation src) {
        if (src instanceof ImageLocation.Store s) {
            return s.name();
        }
        if (src instanceof ImageLocation.Registry r) {
            return r.reference().toString();
        }
        if (src instanceof ImageLocation.OciLayout l && l.name() != null && !l.name().contains("@")) {
            try {
                return dev.strata.image.reference.ImageReference.parse(l.name()).toString();
            } catch (RuntimeException notAReference) {
                return null;
            }
        }
        return null;
    }
}
