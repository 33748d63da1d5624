package dev.strata.cli;

import dev.strata.image.store.Store;
import dev.strata.image.transport.CopyOptions;
import dev.strata.image.transport.CopyResult;
import dev.strata.image.transport.ImageCopier;
import dev.strata.image.transport.ImageDestination;
import dev.strata.image.transport.ImageLocation;
import dev.strata.image.transport.ImageSource;
import dev.strata.image.transport.Transports;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool copy SRC DEST}: an image between any two transports. */
@Command(name = "copy", mixinStandardHelpOptions = true,
        description = {"Copy an image from SRC to DEST. Each is one of:",
                "  docker://REF                 a registry",
                "  oci:DIR[:NAME]               an OCI image layout",
                "  oci-archive:FILE[:NAME]      an OCI layout in a tar file",
                "  docker-archive:FILE[:REF]    a docker save archive (REF: a repo tag, or @N when reading)",
                "  dir:DIR                      skopeo's directory format",
                "  store:NAME                   the store at --root",
                "A name without a transport is a registry reference. Blobs DEST has are skipped, blobs in another "
                        + "repository of the same registry are mounted, the rest are streamed and verified once."},
        footer = {"", "Examples:",
                "  image-tool copy docker://127.0.0.1:5000/app:1 oci:./layout:app",
                "  image-tool copy --all docker://reg.example/app:1 docker://reg.example/mirror/app:1",
                "  image-tool copy oci:./layout:app docker-archive:app.tar:app:1",
                "  image-tool copy --dest-compress zstd store:app docker://127.0.0.1:5000/app:zstd"})
final class CopyCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SRC", description = "Where the image is (see above).")
    String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "Where it goes (see above).")
    String destination;

    @Option(names = "--all", description = "Copy a multi-platform index with every platform's manifest; its digest "
            + "is kept unless layers are re-encoded.")
    boolean all;

    @Option(names = "--preserve-digests", description = "Refuse the copy if any digest would change (re-encoded "
            + "layers, a manifest made for a docker archive).")
    boolean preserveDigests;

    @Option(names = "--dest-compress", paramLabel = "gzip|zstd|none", description = "Re-encode the layers; the "
            + "manifest digest changes, the config and the DiffIDs do not.")
    String compress;

    @Option(names = "--dest-compress-level", paramLabel = "N", defaultValue = "0",
            description = "gzip 1-9, zstd 1-19. Default: the format's own (gzip 6, zstd 3).")
    int level;

    @CommandLine.Mixin
    CopyFlags flags;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() throws IOException {
        ImageLocation src = ImageLocation.parse(source, ImageLocation.Bare.REGISTRY);
        ImageLocation dest = ImageLocation.parse(destination, ImageLocation.Bare.REGISTRY);
        CopyOptions options = flags.options(spec.commandLine()).withAll(all).withPreserveDigests(preserveDigests);
        if (compress != null) {
            options = options.withCompression(CopyFlags.compression(compress, level, spec.commandLine()), level);
        }
        boolean needsStore = src instanceof ImageLocation.Store || dest instanceof ImageLocation.Store;
        try (Store store = needsStore ? tool.openStore() : null) {
            Transports transports = new Transports(registry.options(registryOf(dest, src), spec.commandLine()),
                    store);
            CopyResult result;
            try (ImageSource in = transports.source(src);
                 ImageDestination out = transports.destination(dest, defaultName(src))) {
                result = ImageCopier.copy(in, out, options);
            }
            report(result, flags, dest.toString());
        }
        return ExitCodes.OK;
    }

    /** The registry whose credentials --creds gives: the destination's when it is one, else the source's. */
    static dev.strata.image.reference.ImageReference registryOf(ImageLocation first, ImageLocation second) {
        if (first instanceof ImageLocation.Registry r) {
            return r.reference();
        }
        return second instanceof ImageLocation.Registry r ? r.reference() : null;
    }

    /** The name an image gets where DEST names none: the source's reference, or latest. */
    static String defaultName(ImageLocation src) {
        if (src instanceof ImageLocation.Registry r) {
            return r.reference().toString();
        }
        if (src instanceof ImageLocation.Store s) {
            return s.name();
        }
        return "latest";
    }

    static void report(CopyResult result, CopyFlags flags, String destination) {
        if (!flags.json) {
            result.notes().forEach(n -> System.err.println("Note: " + n));
        }
        if (flags.quiet) {
            System.out.println(result.written().digest());
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("destination", destination);
        out.put("digest", result.written().digest().toString());
        out.put("sourceDigest", result.source().digest().toString());
        out.put("blobsCopied", result.copied());
        out.put("blobsSkipped", result.skipped());
        out.put("blobsMounted", result.mounted());
        if (flags.json) {
            out.put("notes", result.notes());
        }
        Output.print(out, flags.json);
    }
}
