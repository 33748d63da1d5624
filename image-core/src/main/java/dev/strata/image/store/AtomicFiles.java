package dev.strata.image.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Persistent writes that a kill -9 or power loss cannot tear: write a temp file in the same directory, fsync it,
 * rename it over the target, fsync the directory. Readers see the old content or the new, never a mix.
 */
final class AtomicFiles {
    /** Temp files carry this infix; {@link #isTemp} lets cleanup recognize leftovers of a crash. */
    static final String TEMP_INFIX = ".tmp-";

    private AtomicFiles() {
    }

    static void write(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = dir.resolve(target.getFileName() + TEMP_INFIX + UUID.randomUUID());
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        fsyncDirectory(dir);
    }

    /** Deletes {@code target} (if present) durably. */
    static boolean delete(Path target) throws IOException {
        boolean deleted = Files.deleteIfExists(target);
        if (deleted) {
            fsyncDirectory(target.toAbsolutePath().getParent());
        }
        return deleted;
    }

    /**
     * The bytes of a store metadata file, refused when larger than {@code max}: read with the cap, so a file that
     * grows meanwhile cannot slip past a size check made before the read.
     */
    static byte[] readBounded(Path file, long max) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(Math.toIntExact(max + 1));
            if (bytes.length > max) {
                throw new dev.strata.image.InvalidImageException(file + " is larger than " + max + " bytes");
            }
            return bytes;
        }
    }

    static boolean isTemp(Path p) {
        return p.getFileName().toString().contains(TEMP_INFIX);
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
