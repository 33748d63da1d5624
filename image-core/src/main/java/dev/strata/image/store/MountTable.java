package dev.strata.image.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code <root>/mounts.json}: which images are mounted, where, and how many times; rewritten atomically. This file,
 * not any process, owns the mounts, so one process can mount and another unmount. Callers hold the store lock.
 */
final class MountTable {
    private final Path file;

    MountTable(Path file) {
        this.file = file;
    }

    /** Every record, sorted by name. */
    List<ImageMount> read() throws IOException {
        if (!Files.exists(file)) {
            return new ArrayList<>();
        }
        List<ImageMount> out = new ArrayList<>(RecordCodec.mounts(AtomicFiles.readBounded(file,
                RecordCodec.MAX_IMAGES), file));
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    Optional<ImageMount> byName(List<ImageMount> all, String name) {
        return all.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    void write(List<ImageMount> all) throws IOException {
        List<ImageMount> sorted = new ArrayList<>(all);
        sorted.sort((a, b) -> a.name().compareTo(b.name()));
        AtomicFiles.write(file, RecordCodec.mounts(sorted));
    }

    /** The top layers of mounted images: in use while mounted (their ancestors stay as their parents). */
    Set<dev.strata.image.digest.Digest> layers() throws IOException {
        Set<dev.strata.image.digest.Digest> out = new TreeSet<>();
        for (ImageMount m : read()) {
            out.add(m.layer());
        }
        return out;
    }
}
