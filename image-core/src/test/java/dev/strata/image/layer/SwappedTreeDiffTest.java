package dev.strata.image.layer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** A diff's upper tree changed between listing and reading: nothing outside the tree may reach the layer. */
class SwappedTreeDiffTest {
    private static final String SECRET = "TOP-SECRET-HOST-CONTENT";

    @TempDir
    Path tmp;
    Path lower;
    Path upper;
    Path host;

    private void trees() throws IOException {
        lower = Files.createDirectories(tmp.resolve("lower"));
        upper = Files.createDirectories(tmp.resolve("upper"));
        host = Files.createDirectories(tmp.resolve("host"));
        Files.writeString(host.resolve("secret"), SECRET);
        Files.createDirectories(upper.resolve("a"));
        Files.writeString(upper.resolve("a/secret"), "container data");
        // The attacker also mirrors the host path inside its tree, so that reads resolved "in the root" succeed too.
        Path decoy = Files.createDirectories(upper.resolve(host.toString().substring(1)));
        Files.writeString(decoy.resolve("secret"), "decoy");
    }

    private static String layer(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** The case: the change list is made, then a/ becomes a symlink to a host directory, then the layer. */
    @Test
    void directorySwappedForSymlinkDuringDiff() throws Exception {
        trees();
        List<Change> changes = Changes.between(lower, upper);
        assertThat(changes).extracting(Change::path).contains("/a", "/a/secret");
        swap();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> new LayerWriter(LayerWriterOptions.of(Compression.NONE)).write(upper, changes, out))
                .isInstanceOf(IOException.class).hasMessageContaining("a/secret").hasMessageContaining("ELOOP");
        assertThat(layer(out)).doesNotContain(SECRET);
    }

    /** The same swap made by a hook at the last moment: after /a was written, right before /a/secret is opened. */
    @Test
    void directorySwappedForSymlinkRightBeforeTheFileIsOpened() throws Exception {
        trees();
        List<Change> changes = Changes.between(lower, upper);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> new LayerWriter(LayerWriterOptions.of(Compression.NONE)).write(upper, changes, out,
                rel -> {
                    if (rel.equals("a/secret")) {
                        swap();
                    }
                })).isInstanceOf(IOException.class).hasMessageContaining("ELOOP");
        assertThat(layer(out)).doesNotContain(SECRET);
    }

    /** A swapper thread flips a/ between the directory and the symlink while diffs run: a bounded race. */
    @Test
    void directorySwappedForSymlinkRacing() throws Exception {
        trees();
        AtomicBoolean stop = new AtomicBoolean();
        Thread swapper = new Thread(() -> {
            try {
                while (!stop.get()) {
                    swap();
                    Thread.onSpinWait();
                    Files.delete(upper.resolve("a"));
                    Files.move(upper.resolve("a.real"), upper.resolve("a"));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        swapper.start();
        int written = 0;
        try {
            for (int i = 0; i < 300; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try {
                    LayerWriter.writeDiff(lower, upper, out, LayerWriterOptions.of(Compression.NONE));
                    written++;
                } catch (IOException expected) {
                    // the tree changed under the diff: refused
                }
                assertThat(layer(out)).as("round %d", i).doesNotContain(SECRET);
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        System.out.println("swap race: " + written + " of 300 diffs completed");
    }

    /** A file replaced by a symlink to a host file is written as the symlink, never as the host file's content. */
    @Test
    void fileSwappedForSymlinkDuringDiff() throws Exception {
        trees();
        List<Change> changes = Changes.between(lower, upper);
        Files.delete(upper.resolve("a/secret"));
        Files.createSymbolicLink(upper.resolve("a/secret"), host.resolve("secret"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LayerWriter(LayerWriterOptions.of(Compression.NONE)).write(upper, changes, out);
        assertThat(layer(out)).doesNotContain(SECRET).contains(host.resolve("secret").toString());
    }

    /** A FIFO planted where a file was listed is written as a FIFO; opening it for reading would hang. */
    @Test
    void fifoPlantedWhereAFileWasListed() throws Exception {
        trees();
        List<Change> changes = Changes.between(lower, upper);
        Files.delete(upper.resolve("a/secret"));
        assertThat(new ProcessBuilder("mkfifo", upper.resolve("a/secret").toString()).start().waitFor()).isZero();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
                new LayerWriter(LayerWriterOptions.of(Compression.NONE)).write(upper, changes, out));
        assertThat(layer(out)).doesNotContain("container data");
    }

    private void swap() {
        try {
            Files.move(upper.resolve("a"), upper.resolve("a.real"));
            Files.createSymbolicLink(upper.resolve("a"), host);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
