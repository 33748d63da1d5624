package dev.strata.image.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Atomic replacement leaves exactly the new content and no temp file; temp names are recognizable. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void writeCreatesAndReplacesWithoutLeavingTemps() throws IOException {
        Path f = dir.resolve("images.json");
        AtomicFiles.write(f, "one".getBytes());
        AtomicFiles.write(f, "two!".getBytes());
        assertThat(Files.readString(f)).isEqualTo("two!");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s).containsExactly(f);
        }
        assertThat(AtomicFiles.delete(f)).isTrue();
        assertThat(AtomicFiles.delete(f)).isFalse();
    }

    @Test
    void tempNamesAreRecognized() {
        assertThat(AtomicFiles.isTemp(Path.of("/x/images.json.tmp-1234"))).isTrue();
        assertThat(AtomicFiles.isTemp(Path.of("/x/images.json"))).isFalse();
    }
}
