package dev.strata.cli;

import dev.strata.image.layer.Change;
import dev.strata.image.layer.LayerWriterOptions;
import dev.strata.image.store.Container;
import dev.strata.image.store.Store;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code image-tool container diff [-o LAYER_FILE] CONTAINER}: what changed against the image, as {@code diff}. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "List what changed in CONTAINER against its image (A added, C changed, D deleted) and, with "
                + "-o, write those changes as an OCI layer. Works while it is mounted.")
final class ContainerDiffCommand implements Callable<Integer> {
    @ParentCommand
    ContainerCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    LayerOutput layer;

    @Parameters(index = "0", paramLabel = "CONTAINER", description = "A name or an unambiguous id prefix.")
    String container;

    @Override
    public Integer call() throws IOException {
        LayerWriterOptions options = layer.options(spec.commandLine());
        try (Store s = parent.openStore()) {
            Container c = s.resolveContainer(container);
            List<Change> changes = s.changes(c);
            layer.emit(changes, options, (out, o) -> s.diff(c, out, o));
        }
        return ExitCodes.OK;
    }
}
