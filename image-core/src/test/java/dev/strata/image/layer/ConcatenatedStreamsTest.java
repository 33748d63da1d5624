package dev.strata.image.layer;

import dev.strata.image.digest.Digest;
import dev.strata.image.testing.ChunkedLayers;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layers made of many compressed members or frames, as eStargz (one gzip member per file, the TOC and a footer as
 * members of their own) and zstd:chunked (zstd frames and skippable frames) write them, apply as the ordinary
 * layers they also are — also when the bytes arrive the way a network delivers them: in small reads, with
 * {@code available()} 0 between them.
 */
class ConcatenatedStreamsTest {
    private static final int FILES = 200;

    @TempDir
    Path tmp;

    /** Delivers at most {@code chunk} bytes per read and reports nothing available, like a socket between packets. */
    private static InputStream network(byte[] blob, int chunk) {
        return new InputStream() {
            private final ByteArrayInputStream in = new ByteArrayInputStream(blob);

            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, Math.min(len, chunk));
            }

            @Override
            public int available() {
                return 0;
            }
        };
    }

    @ParameterizedTest
    @CsvSource({"gzip, 1", "gzip, 7", "gzip, 1460", "gzip, 65536", "zstd, 1", "zstd, 1460", "zstd, 65536"})
    void everyMemberIsApplied(String format, int chunk) throws IOException {
        List<byte[]> parts = ChunkedLayers.sampleParts(FILES);
        byte[] blob = format.equals("gzip") ? ChunkedLayers.perMemberGzip(parts) : ChunkedLayers.perFrameZstd(parts);
        byte[] tar = ChunkedLayers.concat(parts);
        for (boolean pipelined : new boolean[] {true, false}) {
            Path root = Files.createDirectories(tmp.resolve(format + chunk + pipelined));
            ApplyResult r = new LayerApplier(ApplyOptions.defaults().withPipelined(pipelined))
                    .apply(network(blob, chunk), root);
            assertThat(r.digest()).isEqualTo(Digest.sha256(blob));
            assertThat(r.diffId()).as("DiffID over every member").isEqualTo(Digest.sha256(tar));
            assertThat(root.resolve("f" + (FILES - 1))).hasContent("content of file " + (FILES - 1)
                    + "\n".repeat((FILES - 1) % 7));
            assertThat(root.resolve("stargz.index.json")).exists();
            try (var files = Files.list(root)) {
                assertThat(files.count()).isEqualTo(FILES + 1);
            }
        }
    }
}
