package dev.strata.cli;

import dev.strata.image.InvalidReferenceException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.model.Platform;
import dev.strata.image.store.ImageRecord;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool import oci:DIR[:NAME] [NAME]}: copies an image from an OCI layout into the store. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Copy an image from an OCI image layout into the store (blobs verified, layers registered) and "
                + "name it.",
        footer = {"", "Examples:", "  image-tool import oci:./layout:app",
                "  image-tool --root /tmp/store import oci:./layout:app myapp:1.0"})
final class ImportCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Parameters(index = "0", paramLabel = "oci:DIR[:NAME]", description = "The OCI layout (and the image in it) to add.")
    String source;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "Name in the store (default: the "
            + "name in the layout).")
    String name;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pick from a "
            + "multi-platform image (default: this host's).")
    String platform;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        ImageArg arg = ImageArg.parse(source);
        if (!arg.isLayout()) {
            throw new InvalidReferenceException("import reads OCI layouts: expected oci:DIR[:NAME], got '" + source
                    + "'");
        }
        String as = name != null ? name : arg.name();
        if (as == null) {
            throw new InvalidReferenceException("the layout entry has no name: give one as the second argument");
        }
        Platform p = platform != null ? Platform.parse(platform) : Platform.host();
        try (Store s = tool.openStore()) {
            ImageRecord r = s.importImage(ContentStore.openReadOnly(arg.layout()), arg.name(), p, as);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", r.name());
            out.put("manifest", r.manifest().toString());
            out.put("config", r.config().toString());
            Output.print(out, json);
        }
        return ExitCodes.OK;
    }
}
