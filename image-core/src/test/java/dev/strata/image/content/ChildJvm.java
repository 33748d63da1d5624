package dev.strata.image.content;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts {@link BlobWriterMain} in a fresh JVM with this test's class path. */
final class ChildJvm {
    private ChildJvm() {
    }

    static Process startWriter(Path store, long seed, long size, String digest, long pauseMillis, Path log)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + "/bin/java",
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"),
                BlobWriterMain.class.getName(),
                store.toString(), Long.toString(seed), Long.toString(size), digest, Long.toString(pauseMillis)));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
