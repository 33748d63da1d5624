package dev.strata.cli;

import dev.strata.image.layer.Change;
import dev.strata.image.layer.Changes;
import dev.strata.image.layer.LayerWriter;
import dev.strata.image.layer.LayerWriterOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code image-tool diff LOWER_DIR UPPER_DIR [-o LAYER_FILE]}: the changes between two trees, as a listing and a layer. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "List what changed from LOWER_DIR to UPPER_DIR (A added, C changed, D deleted, like podman diff) "
                + "and, with -o, write those changes as an OCI layer.",
        footer = {"", "Examples:", "  image-tool diff rootfs-before/ rootfs-after/",
                "  image-tool diff -o layer.tar.zst --compression zstd before/ after/"})
final class DiffCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "LOWER_DIR", description = "The tree before (e.g. the image's rootfs).")
    Path lower;

    @Parameters(index = "1", paramLabel = "UPPER_DIR", description = "The tree after; read fd-relative, never "
            + "following a symlink.")
    Path upper;

    @CommandLine.Mixin
    LayerOutput layer;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        for (Path dir : List.of(lower, upper)) {
            if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new java.nio.file.NoSuchFileException(dir.toString());
            }
            if (!Files.isDirectory(dir)) {
                throw new java.nio.file.NotDirectoryException(dir.toString());
            }
        }
        LayerWriterOptions options = layer.options(spec.commandLine());
        List<Change> changes = Changes.between(lower, upper);
        layer.emit(changes, options, (out, o) -> new LayerWriter(o).write(upper, changes, out));
        return ExitCodes.OK;
    }
}
