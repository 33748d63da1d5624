package dev.strata.image.store;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
import dev.strata.image.driver.DiffDriver;
import dev.strata.image.layer.ApplyResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Layers keyed by ChainID, each backed by a driver layer with a random id. A layer is registered from its blob in
 * one streaming pass (decompress, DiffID, apply), verified against the DiffID the image config promises, and only
 * then marked complete. The record is written with {@code incomplete=true} before the driver directory exists, so
 * a crash at any point leaves something {@link #cleanup} recognizes and removes.
 *
 * <p>Every method holds the store lock (registration holds it exclusively for the whole apply).
 */
public final class LayerStore {
    private static final Logger LOG = LoggerFactory.getLogger(LayerStore.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final DiffDriver driver;
    private final StoreLock lock;
    private final MountTable mounts;

    LayerStore(Path dir, DiffDriver driver, StoreLock lock, MountTable mounts) throws IOException {
        this.dir = dir;
        this.driver = driver;
        this.lock = lock;
        this.mounts = mounts;
        Files.createDirectories(dir);
    }

    /**
     * Registers the layer in {@code blob} (plain, gzip or zstd tar) on top of {@code parent} (null: a base layer),
     * or, when its ChainID is already stored, counts one more reference without reading the blob. The caller closes
     * {@code blob}.
     *
     * @param expectedDiffId the DiffID the image config lists for this layer; the applied tar must match it
     * @throws DigestMismatchException when the blob's DiffID differs (nothing is kept)
     * @throws NotFoundException       when {@code parent} is not stored
     */
    public LayerRecord register(InputStream blob, Digest parent, Digest expectedDiffId) throws IOException {
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(expectedDiffId, "expectedDiffId");
        Digest chainId = parent == null ? expectedDiffId : ChainId.next(parent, expectedDiffId);
        try (StoreLock.Held ignored = lock.exclusive()) {
            Optional<LayerRecord> existing = read(chainId);
            if (existing.isPresent() && !existing.get().incomplete()) {
                LayerRecord r = existing.get().withReferences(existing.get().references() + 1);
                write(r);
                return r;
            }
            if (existing.isPresent()) {
                discard(existing.get()); // left by a failure in this process; cleanup() handles other crashes
            }
            String parentDriverId = null;
            if (parent != null) {
                LayerRecord p = read(parent).filter(r -> !r.incomplete()).orElseThrow(() -> new NotFoundException(
                        "parent layer " + parent + " of " + chainId + " is not stored"));
                parentDriverId = p.driverId();
            }
            LayerRecord pending = new LayerRecord(chainId, parent, expectedDiffId, newDriverId(), null, 0, 0, null,
                    0, true);
            write(pending); // before the driver directory exists: a crash from here on is recognizable
            try {
                driver.create(pending.driverId(), parentDriverId);
                ApplyResult applied = driver.applyDiff(pending.driverId(), parentDriverId, blob);
                if (!applied.diffId().equals(expectedDiffId)) {
                    throw new DigestMismatchException("layer blob " + applied.digest() + " has DiffID "
                            + applied.diffId() + " but the image config lists " + expectedDiffId);
                }
                LayerRecord done = new LayerRecord(chainId, parent, expectedDiffId, pending.driverId(),
                        applied.digest(), applied.size(), applied.uncompressedSize(),
                        applied.compression().name().toLowerCase(Locale.ROOT), 1, false);
                write(done);
                return done;
            } catch (IOException | RuntimeException | Error e) {
                try {
                    discard(pending);
                } catch (IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
        }
    }

    /** The complete layer {@code chainId}, if stored. */
    public Optional<LayerRecord> get(Digest chainId) throws IOException {
        try (StoreLock.Held ignored = lock.shared()) {
            return read(chainId).filter(r -> !r.incomplete());
        }
    }

    /** Every record, complete or not, sorted by ChainID. */
    public List<LayerRecord> list() throws IOException {
        try (StoreLock.Held ignored = lock.shared()) {
            return readAll();
        }
    }

    /**
     * The directory of layer {@code chainId} from the driver (mounted where needed); pair with {@link #unmount}.
     */
    public Path mount(Digest chainId) throws IOException {
        LayerRecord r = get(chainId).orElseThrow(() -> new NotFoundException("layer " + chainId + " is not stored"));
        return driver.get(r.driverId());
    }

    public void unmount(Digest chainId) throws IOException {
        LayerRecord r = get(chainId).orElseThrow(() -> new NotFoundException("layer " + chainId + " is not stored"));
        driver.put(r.driverId());
    }

    /**
     * Drops one reference to {@code chainId}; a layer left with none, without children and not mounted (see
     * {@link Store#mount}) is removed, and so on down its parents. Returns the ChainIDs removed.
     */
    public List<Digest> release(Digest chainId) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            LayerRecord r = read(chainId).filter(x -> !x.incomplete())
                    .orElseThrow(() -> new NotFoundException("layer " + chainId + " is not stored"));
            if (r.references() <= 0) {
                throw new FailedPreconditionException("layer " + chainId + " has no references to release");
            }
            write(r.withReferences(r.references() - 1));
            return removeUnreferenced(chainId);
        }
    }

    /** Removes every layer without references and children; returns the ChainIDs removed. */
    public List<Digest> prune() throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            List<Digest> removed = new ArrayList<>();
            Set<Digest> pinned = mounts.layers();
            boolean progress = true;
            while (progress) {
                progress = false;
                for (LayerRecord r : readAll()) {
                    if (!r.incomplete() && r.references() == 0 && !hasChildren(r.chainId())
                            && !pinned.contains(r.chainId())) {
                        removed.addAll(removeUnreferenced(r.chainId()));
                        progress = true;
                    }
                }
            }
            return removed;
        }
    }

    /**
     * Removes what a crash left: incomplete layers (driver directory and record), record temp files, and driver
     * layers no record owns (children first). Called by a writer on {@link Store#open}.
     */
    void cleanup() throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    if (AtomicFiles.isTemp(p)) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            Set<String> owned = new HashSet<>();
            for (LayerRecord r : readAll()) {
                if (r.incomplete()) {
                    LOG.info("removing incomplete layer {} (driver id {}) left by an interrupted registration",
                            r.chainId(), r.driverId());
                    discard(r);
                } else {
                    owned.add(r.driverId());
                }
            }
            boolean progress = true;
            while (progress) {
                progress = false;
                List<String> all = driver.layers();
                Set<String> parents = new HashSet<>();
                for (String id : all) {
                    String p = driver.parent(id);
                    if (p != null) {
                        parents.add(p);
                    }
                }
                for (String id : all) {
                    if (!owned.contains(id) && !parents.contains(id)) {
                        LOG.info("removing driver layer {} that no layer record owns", id);
                        driver.remove(id);
                        progress = true;
                    }
                }
            }
        }
    }

    // ---- plumbing (callers hold the lock) --------------------------------------------------------------------------

    /** Removes {@code chainId} and then its parents while they have no references, children or mount. */
    List<Digest> removeIfUnreferenced(Digest chainId) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            return removeUnreferenced(chainId);
        }
    }

    private List<Digest> removeUnreferenced(Digest chainId) throws IOException {
        List<Digest> removed = new ArrayList<>();
        Set<Digest> pinned = mounts.layers();
        Digest current = chainId;
        while (current != null) {
            Optional<LayerRecord> r = read(current);
            if (r.isEmpty() || r.get().incomplete() || r.get().references() > 0 || hasChildren(current)
                    || pinned.contains(current)) {
                break;
            }
            discard(r.get());
            removed.add(current);
            current = r.get().parent();
        }
        return removed;
    }

    private boolean hasChildren(Digest chainId) throws IOException {
        for (LayerRecord r : readAll()) {
            if (chainId.equals(r.parent())) {
                return true;
            }
        }
        return false;
    }

    /** Driver layer first, record last: a crash in between leaves a record whose layer is gone, still handled. */
    private void discard(LayerRecord r) throws IOException {
        if (driver.exists(r.driverId())) {
            driver.remove(r.driverId());
        }
        AtomicFiles.delete(recordPath(r.chainId()));
    }

    private Optional<LayerRecord> read(Digest chainId) throws IOException {
        Path p = recordPath(chainId);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(readRecord(p));
    }

    private LayerRecord readRecord(Path p) throws IOException {
        if (Files.size(p) > RecordCodec.MAX_RECORD) {
            throw new dev.strata.image.InvalidImageException("layer record " + p + " is larger than "
                    + RecordCodec.MAX_RECORD + " bytes");
        }
        return RecordCodec.layer(Files.readAllBytes(p), p);
    }

    private List<LayerRecord> readAll() throws IOException {
        List<LayerRecord> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                if (name.endsWith(".json") && !AtomicFiles.isTemp(p)) {
                    out.add(readRecord(p));
                }
            }
        }
        out.sort((a, b) -> a.chainId().compareTo(b.chainId()));
        return out;
    }

    private void write(LayerRecord r) throws IOException {
        AtomicFiles.write(recordPath(r.chainId()), RecordCodec.layer(r));
    }

    private Path recordPath(Digest chainId) {
        return dir.resolve(chainId.encoded() + ".json"); // a Digest is always a safe file name
    }

    private static String newDriverId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
