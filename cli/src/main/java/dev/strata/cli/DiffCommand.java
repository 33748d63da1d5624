package dev.strata.cli;

import dev.strata.image.fs.FileNames;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.Changes;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriter;
import dev.strata.image.layer.LayerWriterOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    @Option(names = {"-o", "--output"}, paramLabel = "LAYER_FILE", description = "Write the layer blob here.")
    Path output;

    @Option(names = "--compression", paramLabel = "gzip|zstd|none", description = "Layer compression (default: "
            + "from LAYER_FILE's name: .tar none, .tar.gz/.tgz gzip, .tar.zst zstd; gzip otherwise).")
    String compression;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--level", description = "Compression level (gzip 1-9, zstd 1-19; 0 = the format's default).")
    int level;

    @Option(names = "--clamp-mtime", paramLabel = "SECONDS", description = "Reproducible layers: clamp mtimes to "
            + "this Unix time (e.g. $SOURCE_DATE_EPOCH).")
    Long clampMtime;

    @Option(names = "--json", description = "Print the changes and the layer's digests as JSON.")
    boolean json;

    /** The compression a layer file's name says: {@code .tar}, {@code .tar.gz}/{@code .tgz}, {@code .tar.zst}. */
    static String inferred(Path output) {
        String n = output == null ? "" : output.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (n.endsWith(".zst") || n.endsWith(".zstd")) {
            return "zstd";
        }
        if (n.endsWith(".tar")) {
            return "none";
        }
        return "gzip";
    }

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
        Compression chosen = CopyFlags.compression(compression != null ? compression : inferred(output), level,
                "--level", spec.commandLine());
        List<Change> changes = Changes.between(lower, upper);
        LayerWriteResult written = null;
        if (output != null) {
            LayerWriterOptions options = new LayerWriterOptions(chosen, level,
                    clampMtime == null ? null : Instant.ofEpochSecond(clampMtime));
            // Written next to the destination and renamed, so a failed diff never leaves a half layer behind.
            Path parent = output.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(parent, ".layer-", ".tmp");
            try {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                    written = new LayerWriter(options).write(upper, changes, out);
                }
                Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            List<Map<String, String>> list = new ArrayList<>();
            for (Change c : changes) {
                // Escaped as in the listing: JSON text cannot carry bytes that are not UTF-8.
                list.add(Map.of("kind", String.valueOf(c.kind().letter()), "path", FileNames.display(c.path())));
            }
            out.put("changes", list);
            if (written != null) {
                out.put("layer", Map.of("path", output.toString(), "mediaType", written.mediaType(),
                        "digest", written.digest().toString(), "size", written.size(),
                        "diffId", written.diffId().toString(), "uncompressedSize", written.uncompressedSize()));
            }
            Output.printJson(out);
        } else {
            StringBuilder sb = new StringBuilder();
            for (Change c : changes) {
                sb.append(c).append('\n');
            }
            System.out.print(sb);
            if (written != null) {
                System.err.println("image-tool: wrote " + output + " (" + written.digest() + ", diffID "
                        + written.diffId() + ", " + written.size() + " bytes)");
            }
        }
        return ExitCodes.OK;
    }
}
