package dev.strata.cli;

import dev.strata.image.store.Store;
import dev.strata.image.store.StoreGcResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool gc}: removes layers no image uses, then blobs no name reaches. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Remove the layers no image, mount or pull in progress uses, then the blobs no image name "
                + "reaches.", footer = {"", "Examples:", "  image-tool gc", "  image-tool --root /srv/strata gc --json"})
final class GcCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        StoreGcResult r;
        try (Store s = tool.openStore()) {
            r = s.gc();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("layersRemoved", r.layersRemoved().stream().map(Object::toString).toList());
        out.put("blobsRemoved", r.content().removed().stream().map(Object::toString).toList());
        out.put("bytesFreed", r.content().bytesFreed());
        if (json) {
            Output.printJson(out);
        } else {
            System.out.printf("removed %d layer(s) and %d blob(s), %d bytes%n", r.layersRemoved().size(),
                    r.content().removed().size(), r.content().bytesFreed());
        }
        return ExitCodes.OK;
    }
}
