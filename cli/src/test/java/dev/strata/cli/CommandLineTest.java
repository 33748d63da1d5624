package dev.strata.cli;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which command a command line names (only that one is given to picocli), and that every form still parses. */
class CommandLineTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "images                                 | ImagesCommand",
            "--root /s images                       | ImagesCommand",
            "--root=/s images                       | ImagesCommand",
            "--root images images                   | ImagesCommand",   // a store directory called images
            "--driver vfs --root /s rm x            | RmCommand",
            "rmi x                                  | RmCommand",
            "unmount x                              | UmountCommand",
            "-q pull r                              | PullCommand",
            "pull --dest oci:/x:images r            | PullCommand",
            "apply layer.tar images                 | ApplyCommand",     // the first non-option word decides
            "help pull                              | -",
            "--help                                 | -",
            "--version                              | -",
            "                                       | -",
            "bogus images                           | -",
            "-- images                              | -",
    })
    void namedCommand(String line, String expected) {
        String[] args = line == null ? new String[0] : line.trim().split("\\s+");
        Class<?> named = ImageTool.namedCommand(args);
        assertEquals(expected, named == null ? null : named.getSimpleName(), line);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--root {} images              | 0 | NAME",
            "images --root {}              | 0 | NAME",
            "--root {} rmi nothing         | 3 | no image named nothing",
            "--root {} bogus               | 2 | Unmatched argument",
            "--help                        | 0 | umount",         // the full list needs every command
            "help images                   | 0 | List the images",
            "images --help                 | 0 | Usage: image-tool images",
            "--version                     | 0 | gzip layers inflated by",
    })
    void everyFormRuns(String line, int code, String expected) {
        String[] args = line.trim().replace("{}", tmp.toString()).split("\\s+");
        CliRun r = CliRun.of(args);
        assertEquals(code, r.code(), r.err());
        assertTrue((r.out() + r.err()).contains(expected), r.out() + r.err());
    }
}
