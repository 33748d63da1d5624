package dev.strata.image.content;

import dev.strata.image.fs.NoFollowDir;

import java.io.IOException;
import java.util.UUID;

/**
 * Crash-safe file replacement: temp file + fsync + atomic rename + fsync of the directory. Everything is by name in
 * directories held open without following symlinks: the temp file is created {@code O_CREAT|O_EXCL|O_NOFOLLOW}, and
 * the rename replaces the target name itself, whatever it is, so a planted symlink there is never written through.
 */
final class DurableFiles {
    /** Suffix of the temp files this class creates; stale ones are removed by garbage collection. */
    static final String TEMP_SUFFIX = ".tmp";

    private DurableFiles() {
    }

    /**
     * Replaces {@code targetDir/name} with {@code content}. The temp file lives in {@code tempDir}, which must be on
     * the same filesystem, so readers see either the old or the new file, never a torn one.
     */
    static void write(NoFollowDir tempDir, NoFollowDir targetDir, String name, byte[] content) throws IOException {
        String temp = name + "." + UUID.randomUUID() + TEMP_SUFFIX;
        boolean renamed = false;
        try {
            tempDir.writeNew(temp, content, 0644);
            tempDir.rename(temp, targetDir, name);
            renamed = true;
        } finally {
            if (!renamed) {
                tempDir.unlink(temp);
            }
        }
        targetDir.fsync();
    }
}
