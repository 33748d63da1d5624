package dev.strata.cli;

import dev.strata.image.layer.ApplyOptions;
import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.layer.WhiteoutMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool apply LAYER_FILE TARGET_DIR}: applies one layer blob onto a directory. */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Apply one layer blob (tar, tar+gzip or tar+zstd, detected from its bytes) onto a directory, "
                + "with OCI whiteouts as deletions (or in overlay form with --overlay).",
        footer = {"", "Examples:", "  image-tool apply layer.tar.gz rootfs/", "  curl -s ... | image-tool apply - rootfs/"})
final class ApplyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "LAYER_FILE", description = "Layer blob, or - for standard input.")
    String layer;

    @Parameters(index = "1", paramLabel = "TARGET_DIR", description = "Directory to apply onto (created if missing).")
    Path target;

    @Option(names = "--overlay", description = "Write whiteouts in overlayfs form (char 0/0 devices, opaque xattr) "
            + "instead of deleting, for an overlay upper directory.")
    boolean overlay;

    @Option(names = "--max-size", paramLabel = "BYTES", description = "Refuse layers expanding beyond this many "
            + "uncompressed bytes (default: ${DEFAULT-VALUE}).")
    long maxSize = ApplyOptions.DEFAULT_MAX_UNCOMPRESSED;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        ApplyOptions options = ApplyOptions.defaults()
                .withWhiteouts(overlay ? WhiteoutMode.OVERLAY : WhiteoutMode.DELETE)
                .withMaxUncompressed(maxSize);
        ApplyResult r;
        // The layer is opened first: a mistyped file name creates no target directory.
        try (InputStream in = layer.equals("-") ? System.in : Files.newInputStream(Path.of(layer))) {
            Files.createDirectories(target);
            r = new LayerApplier(options).apply(in, target);
        }
        for (String w : r.warnings()) {
            System.err.println("image-tool: warning: " + w);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("digest", r.digest().toString());
        out.put("size", r.size());
        out.put("diffId", r.diffId().toString());
        out.put("uncompressedSize", r.uncompressedSize());
        out.put("compression", r.compression().name().toLowerCase(java.util.Locale.ROOT));
        out.put("entries", r.entries());
        out.put("warnings", r.warnings());
        Output.print(out, json);
        return ExitCodes.OK;
    }
}
