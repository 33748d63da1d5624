package dev.strata.cli;

import dev.strata.image.content.ContentStore;
import dev.strata.image.model.Descriptor;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.Pusher;
import dev.strata.image.store.ImageRecord;
import dev.strata.image.store.Store;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool push SOURCE DEST}: an image from the store or an OCI layout to a registry. */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = "Push IMAGE (a store name, or oci:DIR[:NAME]) to the registry reference DEST: blobs the "
                + "registry lacks, then the manifest (or the index with all its manifests) under DEST's tag.",
        footer = {"", "Examples:", "  image-tool push oci:./layout:app localhost:5000/team/app:1.0",
                "  image-tool --root /srv/strata push docker.io/library/busybox:latest 127.0.0.1:5000/busybox:1"})
final class PushCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "A store image or oci:DIR[:NAME].")
    String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "The registry reference to push to (docker:// "
            + "accepted).")
    String destination;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Option(names = {"-q", "--quiet"}, description = "Print only the pushed manifest digest.")
    boolean quiet;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        ImageReference dest = Remote.reference(destination);
        ImageArg arg = ImageArg.parse(source);
        Pusher.PushResult result;
        if (arg.isLayout()) {
            ContentStore layout = ContentStore.openReadOnly(arg.layout());
            result = push(layout, Store.resolveRoot(layout, arg.name()), dest);
        } else {
            try (Store s = tool.openExistingStore()) {
                ImageRecord r = s.resolveImage(arg.name());
                try (var lease = s.lease()) {
                    // Layers stored from other blobs (or whose blobs gc removed) get their blobs written again.
                    Store.BlobsForPush blobs = s.manifestWithBlobs(r.name(), lease);
                    if (blobs.rewritten()) {
                        System.err.println("image-tool: " + blobs.recreated().size() + " layer blob(s) of " + r.name()
                                + " are not in the content store and were written again from the stored layers: "
                                + "the pushed manifest is " + blobs.manifest().digest() + ", not " + r.manifest()
                                + (blobs.configRewritten() ? "; the recreated layers are other tar streams of the "
                                + "same files, so the config names their new DiffIDs" : " (the config and its "
                                + "DiffIDs are unchanged)"));
                    }
                    result = push(s.content(), blobs.manifest(), dest);
                }
            }
        }
        if (quiet) {
            System.out.println(result.digest());
            return ExitCodes.OK;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("destination", dest.toString());
        out.put("digest", result.digest().toString());
        out.put("blobsSent", result.blobsSent());
        out.put("blobsSkipped", result.blobsSkipped());
        Output.print(out, json);
        return ExitCodes.OK;
    }

    private Pusher.PushResult push(ContentStore content, Descriptor root, ImageReference dest) {
        // The pull's printer: bytes sent per blob (a status line on a terminal), a line per blob done or skipped.
        ProgressPrinter printer = quiet || json ? null : ProgressPrinter.forStderr();
        try {
            return Pusher.push(content, root, dest, registry.options(dest, spec.commandLine()),
                    printer != null ? printer : event -> { });
        } finally {
            if (printer != null) {
                printer.finish();
            }
        }
    }
}
