package dev.strata.image.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Names → images in {@code <root>/images.json}, rewritten atomically on every change (a reader sees the old list or
 * the new one). Every method holds the store lock.
 */
public final class ImageStore {
    private final Path file;
    private final StoreLock lock;

    ImageStore(Path file, StoreLock lock) {
        this.file = file;
        this.lock = lock;
    }

    /** Every image, sorted by name. */
    public List<ImageRecord> list() throws IOException {
        try (StoreLock.Held ignored = lock.shared()) {
            return read();
        }
    }

    public Optional<ImageRecord> get(String name) throws IOException {
        try (StoreLock.Held ignored = lock.shared()) {
            return read().stream().filter(r -> r.name().equals(name)).findFirst();
        }
    }

    /** Adds or replaces the image named {@code record.name()}; returns the one it replaced. */
    public Optional<ImageRecord> put(ImageRecord record) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            List<ImageRecord> all = read();
            Optional<ImageRecord> old = all.stream().filter(r -> r.name().equals(record.name())).findFirst();
            all.removeIf(r -> r.name().equals(record.name()));
            all.add(record);
            write(all);
            return old;
        }
    }

    /** Removes the name; returns what it named. */
    public Optional<ImageRecord> remove(String name) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            List<ImageRecord> all = read();
            Optional<ImageRecord> old = all.stream().filter(r -> r.name().equals(name)).findFirst();
            if (old.isPresent()) {
                all.removeIf(r -> r.name().equals(name));
                write(all);
            }
            return old;
        }
    }

    private List<ImageRecord> read() throws IOException {
        if (!Files.exists(file)) {
            return new ArrayList<>();
        }
        List<ImageRecord> out = new ArrayList<>(RecordCodec.images(AtomicFiles.readBounded(file,
                RecordCodec.MAX_IMAGES), file));
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    private void write(List<ImageRecord> all) throws IOException {
        all.sort((a, b) -> a.name().compareTo(b.name()));
        AtomicFiles.write(file, RecordCodec.images(all));
    }
}
