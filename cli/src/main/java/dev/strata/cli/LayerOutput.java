package dev.strata.cli;

import dev.strata.image.fs.FileNames;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriterOptions;
import picocli.CommandLine;
import picocli.CommandLine.Option;

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

/**
 * The options and output {@code diff} and {@code container diff} share: {@code -o LAYER_FILE} with its compression,
 * level and mtime clamp, and the A/C/D listing (or {@code --json}).
 */
final class LayerOutput {
    /** Writes the layer to {@code out} with {@code options}. */
    @FunctionalInterface
    interface Writer {
        LayerWriteResult write(OutputStream out, LayerWriterOptions options) throws IOException;
    }

    @Option(names = {"-o", "--output"}, paramLabel = "LAYER_FILE", description = "Write the layer blob here.")
    Path output;

    @Option(names = "--compression", paramLabel = "gzip|zstd|none", description = "Layer compression (default: "
            + "from LAYER_FILE's name: .tar none, .tar.gz/.tgz gzip, .tar.zst zstd; gzip otherwise).")
    String compression;

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

    /** Checks the compression options before any work is done. */
    LayerWriterOptions options(CommandLine cli) {
        Compression chosen = CopyFlags.compression(compression != null ? compression : inferred(output), level,
                "--level", cli);
        return new LayerWriterOptions(chosen, level, clampMtime == null ? null : Instant.ofEpochSecond(clampMtime));
    }

    /** Writes the layer if {@code -o} was given, then prints {@code changes} (and the layer's digests). */
    void emit(List<Change> changes, LayerWriterOptions options, Writer writer) throws IOException {
        LayerWriteResult written = null;
        if (output != null) {
            // Written next to the destination and renamed, so a failed diff never leaves a half layer behind.
            Path parent = output.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(parent, ".layer-", ".tmp");
            try {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                    written = writer.write(out, options);
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
                list.add(Map.of("kind", String.valueOf(c.kind().letter()), "path", FileNames.display(c.path())));  // escaped as in the listing: JSON text cannot carry non-UTF-8 bytes
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
    }
}
