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
 * Layers keyed by ChainID, each backed by a driver layer with a random id.
 *
 * <p><b>Registration</b> is split so that only its short bookkeeping steps take the store's exclusive lock: {@link
 * #prepare} (lock: checks the parent and notes the new driver layer in the caller's {@link LayerLease}; no lock:
 * creates it), {@link PreparedLayer#apply} (no lock: one streaming pass decompresses, computes digest and DiffID and
 * applies, and the DiffID must equal what the image config promises), {@link PreparedLayer#publish} (lock: writes the
 * record, which makes the layer visible). While a layer applies, other threads and processes keep downloading,
 * reading and registering. A crash leaves a driver layer that no record owns and no live lease lists, which {@link
 * #cleanup} removes. {@link #register} does the three steps in one call.
 *
 * <p><b>References</b> are not counted: a layer is in use while an image record's chain ({@code rootfs.diff_ids})
 * contains it, or a live lease holds it or a layer above it. {@link #remove} and {@link #prune} remove only layers in
 * no such use and without children, so an interrupted pull leaves no stray reference behind, and a pull in progress
 * in another process keeps the layers it registered or reuses.
 */
public final class LayerStore {
    private static final Logger LOG = LoggerFactory.getLogger(LayerStore.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * The ChainIDs of every layer of every named image, and the top layers of mounted images; called under the
     * exclusive lock.
     */
    @FunctionalInterface
    interface ImageChains {
        Set<Digest> all() throws IOException;
    }

    private final Path dir;
    private final DiffDriver driver;
    private final StoreLock lock;
    private final Leases leases;
    private final ImageChains images;
    private final OwnedDriverIds otherOwners;

    /**
     * Driver layers that belong to something other than a layer record (containers' writable layers): {@link
     * #cleanup} must not take them for orphans. Called under the exclusive lock.
     */
    @FunctionalInterface
    interface OwnedDriverIds {
        Set<String> all() throws IOException;
    }

    LayerStore(Path dir, DiffDriver driver, StoreLock lock, Leases leases, ImageChains images) throws IOException {
        this(dir, driver, lock, leases, images, Set::of);
    }

    LayerStore(Path dir, DiffDriver driver, StoreLock lock, Leases leases, ImageChains images,
               OwnedDriverIds otherOwners) throws IOException {
        this.otherOwners = otherOwners;
        this.dir = dir;
        this.driver = driver;
        this.lock = lock;
        this.leases = leases;
        this.images = images;
        Files.createDirectories(dir);
    }

    /**
     * Registers the layer in {@code blob} (plain, gzip or zstd tar) on top of {@code parent} (null: a base layer),
     * or returns the stored layer with that ChainID without reading the blob. The caller closes {@code blob}. The
     * layer is not referenced by anything when this returns: name an image that contains it, or hold it with a
     * {@link LayerLease} ({@link #prepare} and {@link #hold}), or the next {@link #prune} removes it.
     *
     * @param expectedDiffId the DiffID the image config lists for this layer; the applied tar must match it
     * @throws DigestMismatchException when the blob's DiffID differs (nothing is kept)
     * @throws NotFoundException       when {@code parent} is not stored
     */
    public LayerRecord register(InputStream blob, Digest parent, Digest expectedDiffId) throws IOException {
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(expectedDiffId, "expectedDiffId");
        Digest chainId = parent == null ? expectedDiffId : ChainId.next(parent, expectedDiffId);
        Optional<LayerRecord> existing = get(chainId);
        if (existing.isPresent()) {
            return existing.get();
        }
        try (LayerLease lease = leases.open(); PreparedLayer layer = prepare(parent, expectedDiffId, lease)) {
            layer.apply(blob);
            return layer.publish();
        }
    }

    /**
     * If the complete layer {@code chainId} is stored, holds it (and so its parents) in {@code lease} and returns it.
     * A pull calls this for layers it finds already stored: from then on no prune removes them before its image is
     * named.
     */
    public Optional<LayerRecord> hold(Digest chainId, LayerLease lease) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            Optional<LayerRecord> r = read(chainId).filter(x -> !x.incomplete());
            if (r.isPresent()) {
                lease.hold(chainId);
            }
            return r;
        }
    }

    /**
     * Starts registering the layer with DiffID {@code diffId} on top of the complete layer {@code parent} (null: a
     * base layer): creates a new driver layer, noted in {@code lease} so that no cleanup removes it while it is being
     * applied, and holds {@code parent}. Then {@link PreparedLayer#apply} and {@link PreparedLayer#publish}; closing an
     * unpublished layer discards it.
     *
     * <p>Only the bookkeeping holds the store lock, so layers of different chains (or of one chain, with a driver
     * whose layers do not copy their parent) can be applied at the same time; the record of a layer is still
     * published only after its parent's.
     *
     * @throws NotFoundException when {@code parent} is not a complete stored layer
     */
    public PreparedLayer prepare(Digest parent, Digest diffId, LayerLease lease) throws IOException {
        Objects.requireNonNull(diffId, "diffId");
        Objects.requireNonNull(lease, "lease");
        Digest chainId = parent == null ? diffId : ChainId.next(parent, diffId);
        String driverId = newDriverId();
        String parentDriverId = null;
        try (StoreLock.Held ignored = lock.exclusive()) {
            if (parent != null) {
                LayerRecord p = read(parent).filter(r -> !r.incomplete()).orElseThrow(() -> new NotFoundException(
                        "parent layer " + parent + " of " + chainId + " is not stored"));
                parentDriverId = p.driverId();
                lease.hold(parent);
            }
            lease.addPending(driverId); // before the driver layer exists: cleanup must never take it for an orphan
        }
        try {
            driver.create(driverId, parentDriverId);
        } catch (IOException | RuntimeException | Error e) {
            forgetPending(driverId, lease, e);
            throw e;
        }
        return new PreparedLayer(this, lease, chainId, parent, diffId, driverId, parentDriverId, null);
    }

    /**
     * Whether {@link #prepareOn} works with this store's driver: its layers are applied without reading their
     * parent's content (overlay), so the layers of one chain can be applied at the same time.
     */
    public boolean appliesLayersIndependently() {
        return driver.appliesLayersIndependently();
    }

    /**
     * Starts registering the layer with DiffID {@code diffId} on top of {@code parent}, a layer of the same
     * registration that is prepared, being applied or applied, but not published yet. Both can then be applied at
     * the same time; they are published in chain order ({@link PreparedLayer#publish} refuses a child whose parent
     * is not published) and discarded children first ({@link PreparedLayer#close} refuses a parent while a child
     * of it is still open).
     *
     * @throws FailedPreconditionException when the driver creates a layer from its parent's content (see
     *                                     {@link #appliesLayersIndependently}), or {@code parent} is closed
     */
    public PreparedLayer prepareOn(PreparedLayer parent, Digest diffId) throws IOException {
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(diffId, "diffId");
        if (!driver.appliesLayersIndependently()) {
            throw new FailedPreconditionException("the " + driver.name() + " driver creates a layer from its "
                    + "parent's content: prepare " + diffId + " after its parent " + parent.chainId()
                    + " is published");
        }
        parent.addChild(); // refuses a closed parent; from now on the parent cannot be discarded before this one
        Digest chainId = ChainId.next(parent.chainId(), diffId);
        String driverId = newDriverId();
        LayerLease lease = parent.lease();
        try {
            try (StoreLock.Held ignored = lock.exclusive()) {
                lease.addPending(driverId);
            }
            try {
                driver.create(driverId, parent.driverId());
            } catch (IOException | RuntimeException | Error e) {
                forgetPending(driverId, lease, e);
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            parent.removeChild();
            throw e;
        }
        return new PreparedLayer(this, lease, chainId, parent.chainId(), diffId, driverId, parent.driverId(),
                parent);
    }

    /** Applies {@code blob} to the prepared driver layer; no store lock is held. */
    ApplyResult apply(PreparedLayer layer, InputStream blob) throws IOException {
        ApplyResult applied = driver.applyDiff(layer.driverId(), layer.parentDriverId(), blob);
        if (!applied.diffId().equals(layer.diffId())) {
            throw new DigestMismatchException("layer blob " + applied.digest() + " has DiffID " + applied.diffId()
                    + " but the image config lists " + layer.diffId());
        }
        return applied;
    }

    /**
     * Writes the record of an applied layer. If another registration of the same ChainID was published first (a
     * concurrent pull of a shared base), that one is kept and this driver layer removed.
     */
    LayerRecord publish(PreparedLayer layer, ApplyResult applied) throws IOException {
        LayerRecord result;
        boolean duplicate;
        try (StoreLock.Held ignored = lock.exclusive()) {
            if (layer.parent() != null) {
                LayerRecord p = read(layer.parent()).filter(r -> !r.incomplete()).orElseThrow(() ->
                        new NotFoundException("parent layer " + layer.parent() + " of " + layer.chainId()
                                + " is not stored (not published yet, or removed while this one was applied)"));
                if (!p.driverId().equals(layer.parentDriverId())) {
                    // Prepared on a parent that lost the race to publish its ChainID: this driver layer sits on
                    // the loser's, which is about to go. Register it again on the stored parent.
                    throw new FailedPreconditionException("parent layer " + layer.parent() + " of "
                            + layer.chainId() + " was published by another registration; prepare this one again");
                }
            }
            Optional<LayerRecord> existing = read(layer.chainId());
            duplicate = existing.isPresent() && !existing.get().incomplete();
            if (duplicate) {
                result = existing.get();
            } else {
                if (existing.isPresent()) {
                    discard(existing.get()); // an old-format incomplete record
                }
                result = new LayerRecord(layer.chainId(), layer.parent(), layer.diffId(), layer.driverId(),
                        applied.digest(), applied.size(), applied.uncompressedSize(),
                        applied.compression().name().toLowerCase(Locale.ROOT), false);
                write(result);
            }
            layer.lease().hold(layer.chainId());
            if (!duplicate) {
                layer.lease().removePending(layer.driverId());
            }
        }
        if (duplicate && layer.claimDiscardAtPublish()) {
            discardPending(layer); // else the layer's close discards it, after its children's
        }
        return result;
    }

    /** Removes an unpublished driver layer and its note in the lease. */
    void discardPending(PreparedLayer layer) throws IOException {
        try {
            if (driver.exists(layer.driverId())) {
                driver.remove(layer.driverId());
            }
        } catch (IOException | RuntimeException | Error e) {
            forgetPending(layer.driverId(), layer.lease(), e);
            throw e;
        }
        try (StoreLock.Held ignored = lock.exclusive()) {
            layer.lease().removePending(layer.driverId());
        }
    }

    private void forgetPending(String driverId, LayerLease lease, Throwable failure) {
        try (StoreLock.Held ignored = lock.exclusive()) {
            lease.removePending(driverId); // if the driver layer is left behind, cleanup on the next open takes it
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
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

    /** Whether {@code chainId} is in a named image's chain or held by a live lease (directly or by a child). */
    public boolean inUse(Digest chainId) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) { // exclusive: reading leases may delete dead ones
            return used().contains(chainId);
        }
    }

    /**
     * Removes layer {@code chainId} unless it is in use ({@link #inUse}) or has children; returns whether it was
     * removed. Its parents stay (remove them in turn, or {@link #prune}).
     *
     * @throws NotFoundException when no complete layer {@code chainId} is stored
     */
    public boolean remove(Digest chainId) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            LayerRecord r = read(chainId).filter(x -> !x.incomplete())
                    .orElseThrow(() -> new NotFoundException("layer " + chainId + " is not stored"));
            if (used().contains(chainId) || hasChildren(chainId)) {
                return false;
            }
            discard(r);
            return true;
        }
    }

    /**
     * Removes those of {@code chainIds} (base first, e.g. one image's chain) that are stored, not in use and without
     * children, trying the last first so that a chain goes from its top down; returns the ChainIDs removed.
     */
    public List<Digest> removeUnused(List<Digest> chainIds) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            Set<Digest> used = used();
            List<Digest> removed = new ArrayList<>();
            for (int i = chainIds.size() - 1; i >= 0; i--) {
                Optional<LayerRecord> r = read(chainIds.get(i)).filter(x -> !x.incomplete());
                if (r.isPresent() && !used.contains(r.get().chainId()) && !hasChildren(r.get().chainId())) {
                    discard(r.get());
                    removed.add(r.get().chainId());
                }
            }
            return removed;
        }
    }

    /**
     * Removes {@code top} and then its parents, as far as each is stored, not in use and without children (the chain
     * a released mount or a dropped mount record leaves behind); returns the ChainIDs removed.
     */
    List<Digest> removeUnusedChain(Digest top) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            List<Digest> chain = new ArrayList<>();
            for (Digest current = top; current != null; ) {
                Optional<LayerRecord> r = read(current);
                if (r.isEmpty()) {
                    break;
                }
                chain.add(0, current);
                current = r.get().parent();
            }
            return removeUnused(chain);
        }
    }

    /** Removes every complete layer that is not in use, children before parents; returns the ChainIDs removed. */
    public List<Digest> prune() throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            Set<Digest> used = used();
            List<Digest> removed = new ArrayList<>();
            boolean progress = true;
            while (progress) {
                progress = false;
                for (LayerRecord r : readAll()) {
                    if (!r.incomplete() && !used.contains(r.chainId()) && !hasChildren(r.chainId())) {
                        discard(r);
                        removed.add(r.chainId());
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
            Set<String> applying = leases.live().pendingDriverIds(); // other processes' registrations in progress
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    if (AtomicFiles.isTemp(p)) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            Set<String> owned = new HashSet<>(applying);
            owned.addAll(otherOwners.all());
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
                        removeIfPresent(id);
                        progress = true;
                    }
                }
            }
        }
    }

    // ---- plumbing (callers hold the lock) --------------------------------------------------------------------------

    /** Every ChainID in use: the chains of named images, and what live leases hold with all its parents. */
    private Set<Digest> used() throws IOException {
        Set<Digest> used = new HashSet<>(images.all());
        for (Digest held : leases.live().held()) {
            Digest current = held;
            while (current != null && used.add(current)) {
                current = read(current).map(LayerRecord::parent).orElse(null);
            }
        }
        return used;
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
        removeIfPresent(r.driverId());
        AtomicFiles.delete(recordPath(r.chainId()));
    }

    /**
     * Removes driver layer {@code id} unless it is gone already: a pull in another process discards its unpublished
     * layers without the store lock, so one listed a moment ago may have been removed since (a gc's sweep saw that
     * as "layer … does not exist" in VfsConcurrentPullsTest).
     */
    private void removeIfPresent(String id) throws IOException {
        if (!driver.exists(id)) {
            return;
        }
        try {
            driver.remove(id);
        } catch (dev.strata.image.NotFoundException gone) {
            if (driver.exists(id)) {
                throw gone;
            }
        }
    }

    /** The record of {@code chainId}, complete or not; the caller holds the lock. */
    Optional<LayerRecord> read(Digest chainId) throws IOException {
        Path p = recordPath(chainId);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(readRecord(p));
    }

    private LayerRecord readRecord(Path p) throws IOException {
        return RecordCodec.layer(AtomicFiles.readBounded(p, RecordCodec.MAX_RECORD), p);
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

    static String newDriverId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
