package dev.strata.image.store;

import dev.strata.image.InvalidReferenceException;
import dev.strata.image.NotFoundException;
import dev.strata.image.reference.ImageReference;

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

    /**
     * The image {@code spelling} names, spelled any way {@code pull} accepts or {@code images} prints: the stored
     * name itself; a reference in any form that normalizes to it ({@code debian}, {@code docker.io/library/debian},
     * {@code docker://debian:latest}); {@code NAME@sha256:…} for an image of that repository with that manifest; or a
     * prefix of the image ID (the config digest, with or without {@code sha256:}). Names are tried before IDs, as
     * docker does.
     *
     * @throws NotFoundException          when nothing matches
     * @throws InvalidReferenceException when it matches several names (the message lists them)
     */
    public ImageRecord resolve(String spelling) throws IOException {
        List<ImageRecord> all = list();
        String s = spelling.startsWith(DOCKER_TRANSPORT) ? spelling.substring(DOCKER_TRANSPORT.length()) : spelling;
        Optional<ImageRecord> exact = named(all, s);
        if (exact.isPresent()) {
            return exact.get();
        }
        ImageReference ref = parseOrNull(s);
        if (ref != null) {
            exact = named(all, ref.toString());
            if (exact.isPresent()) {
                return exact.get();
            }
            if (ref.digest() != null) {
                List<ImageRecord> pinned = all.stream().filter(r -> r.manifest().equals(ref.digest())
                        && sameRepository(r.name(), ref)).toList();
                if (!pinned.isEmpty()) {
                    return only(pinned, spelling);
                }
            }
        }
        String hex = s.startsWith("sha256:") ? s.substring("sha256:".length()) : s;
        if (hex.matches("[0-9a-f]{1,64}")) {
            List<ImageRecord> byId = all.stream().filter(r -> r.config().encoded().startsWith(hex)).toList();
            if (!byId.isEmpty()) {
                return only(byId, spelling);
            }
        }
        throw new NotFoundException("no image named " + spelling + " in " + file.getParent());
    }

    /** skopeo's transport prefix for a registry reference. */
    static final String DOCKER_TRANSPORT = "docker://";

    private static Optional<ImageRecord> named(List<ImageRecord> all, String name) {
        return all.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    private static ImageReference parseOrNull(String s) {
        try {
            return ImageReference.parse(s);
        } catch (InvalidReferenceException e) {
            return null;
        }
    }

    /** Whether the stored name is a reference to {@code ref}'s repository (and tag, when {@code ref} has one). */
    private static boolean sameRepository(String storedName, ImageReference ref) {
        ImageReference stored = parseOrNull(storedName);
        return stored != null && stored.name().equals(ref.name()) && (ref.tag() == null
                || ref.tag().equals(stored.tag()));
    }

    private static ImageRecord only(List<ImageRecord> matches, String spelling) {
        if (matches.size() > 1) {
            throw new InvalidReferenceException("'" + spelling + "' is ambiguous: it matches the images "
                    + String.join(", ", matches.stream().map(ImageRecord::name).toList()) + "; name one of them");
        }
        return matches.get(0);
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
