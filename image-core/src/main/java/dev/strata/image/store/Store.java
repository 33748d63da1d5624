package dev.strata.image.store;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.content.GcResult;
import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
import dev.strata.image.driver.DiffDriver;
import dev.strata.image.driver.GraphDriverProvider;
import dev.strata.image.driver.GraphDrivers;
import dev.strata.image.driver.NaiveDiff;
import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.layer.LayerWriterOptions;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.ManifestDocument;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.progress.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store an embedder opens: blobs in an OCI image layout ({@code <root>/content}), layers by ChainID
 * ({@code <root>/layers}, backed by a graph driver in {@code <root>/<driver>}), and image names
 * ({@code <root>/images.json}). Opening it removes whatever a crashed writer left half done.
 *
 * <p>Images can be mounted read-only ({@link #mount}) for as long as needed, across processes: the mounts are
 * recorded in {@code <root>/mounts.json} with a count, and the last {@link #unmount}, in whatever process, detaches
 * the view. A mounted image cannot be removed and its layers are never collected.
 *
 * <pre>{@code
 * try (Store store = Store.open(root, StoreOptions.defaults())) {
 *     store.addImage("example.com/app:1", manifestDigest);   // manifest, config, layers already in content()
 *     store.unpack("example.com/app:1", rootfs);
 * }
 * }</pre>
 */
public final class Store implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    private final Path root;
    private final StoreLock lock;
    private final MountTable mounts;
    private final ContentStore content;
    private final DiffDriver driver;
    private final LayerStore layers;
    private final ImageStore images;
    private final ImageChains chains;
    private final Leases leases;
    private final Containers containers;

    private Store(Path root, StoreLock lock, MountTable mounts, ContentStore content, DiffDriver driver,
                  LayerStore layers, ImageStore images, ImageChains chains, Leases leases, Containers containers) {
        this.containers = containers;
        this.root = root;
        this.lock = lock;
        this.mounts = mounts;
        this.content = content;
        this.driver = driver;
        this.layers = layers;
        this.images = images;
        this.chains = chains;
        this.leases = leases;
    }

    /** Opens (creating if needed) the store at {@code root} and cleans up after any crashed writer. */
    public static Store open(Path root, StoreOptions options) throws IOException {
        return open(root, options, GraphDrivers.providers());
    }

    /**
     * Opens the store at {@code root} as {@link #open} does, but only if there is one: for commands that read
     * ({@code images}, {@code inspect}, {@code unpack}, {@code push}) or act on what is stored, so that a mistyped
     * root is reported instead of becoming a new store. Nothing is created when it throws.
     *
     * @throws NotFoundException if {@code root} holds no store ({@link #exists})
     */
    public static Store openExisting(Path root, StoreOptions options) throws IOException {
        if (!exists(root)) {
            throw new NotFoundException("no store at " + root);
        }
        return open(root, options);
    }

    /** Whether {@code root} holds a store: its content layout ({@code content/oci-layout}) exists. */
    public static boolean exists(Path root) {
        return Files.isRegularFile(root.resolve("content").resolve("oci-layout"), LinkOption.NOFOLLOW_LINKS);
    }

    static Store open(Path root, StoreOptions options, List<GraphDriverProvider> candidates) throws IOException {
        Path real = StoreModes.createOrTighten(root);
        StoreLock lock = StoreLock.forRoot(real);
        try (StoreLock.Held ignored = lock.exclusive(options.lockTimeout())) {
            ContentStore content = ContentStore.open(real.resolve("content"));
            GraphDriverProvider provider = GraphDrivers.choose(real, options.driver(), candidates);
            Path home = real.resolve(provider.name());
            if (!Files.exists(home)) {
                Files.createDirectory(home, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            DiffDriver driver = NaiveDiff.wrap(provider.open(home, options.driverOptions()));
            try {
                Path tmp = real.resolve("tmp");
                Files.createDirectories(tmp);
                ImageStore images = new ImageStore(real.resolve("images.json"), lock);
                ImageChains chains = new ImageChains(images, content);
                Leases leases = new Leases(real.resolve("leases"));
                MountTable mounts = new MountTable(real.resolve("mounts.json"));
                ContainerRecords containerRecords = new ContainerRecords(real.resolve("containers"));
                // In use: every layer of a named image, and the top layer of a mounted image or of a container
                // (its parents have a child). Containers' own driver layers are no layer's, and no orphans.
                LayerStore layers = new LayerStore(real.resolve("layers"), driver, lock, leases, () -> {
                    Set<Digest> used = new HashSet<>(chains.all());
                    used.addAll(mounts.layers());
                    used.addAll(containerRecords.topLayers());
                    return used;
                }, containerRecords::driverIds);
                Containers containers = new Containers(real, lock, containerRecords, layers, leases, driver);
                reconcileMounts(mounts, layers, driver);
                containers.reconcile();
                layers.cleanup();
                for (Path p : listTemps(real)) { // an images.json write cut short
                    Files.deleteIfExists(p);
                }
                return new Store(real, lock, mounts, content, driver, layers, images, chains, leases, containers);
            } catch (IOException | RuntimeException e) {
                driver.close();
                throw e;
            }
        }
    }

    /**
     * Makes {@code mounts.json} and the attached views agree (the caller holds the lock exclusively): a record whose
     * view is gone (a reboot, an umount outside strata) or whose layer is gone is dropped, and a view no record owns
     * (a crash between mounting and recording) is detached.
     */
    private static void reconcileMounts(MountTable mounts, LayerStore layers, DiffDriver driver) throws IOException {
        List<ImageMount> kept = new ArrayList<>();
        List<Digest> dropped = new ArrayList<>();
        Set<String> owned = new HashSet<>();
        List<ImageMount> all = mounts.read();
        for (ImageMount m : all) {
            Optional<LayerRecord> layer = layers.get(m.layer());
            if (layer.isEmpty() || !driver.viewMounted(layer.get().driverId())) {
                LOG.warn("forgetting the mount of {} at {}: {}", m.name(), m.path(), layer.isEmpty()
                        ? "its layer " + m.layer() + " is gone" : "it is no longer mounted");
                dropped.add(m.layer());
            } else {
                kept.add(m);
                owned.add(layer.get().driverId());
            }
        }
        if (kept.size() != all.size()) {
            mounts.write(kept);
        }
        for (String id : driver.layers()) {
            if (!owned.contains(id) && driver.viewMounted(id)) {
                driver.unmountView(id); // a no-op where the view is the layer's directory
            }
        }
        for (Digest d : dropped) {
            layers.removeUnusedChain(d);
        }
    }

    private static List<Path> listTemps(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(AtomicFiles::isTemp).toList();
        }
    }

    public Path root() {
        return root;
    }

    /**
     * Where a store lives unless told otherwise: {@code /var/lib/strata} for root, else
     * {@code $XDG_DATA_HOME/strata}, else {@code ~/.local/share/strata}.
     */
    public static Path defaultRoot() {
        return defaultRoot("root".equals(System.getProperty("user.name")), System.getenv("XDG_DATA_HOME"),
                System.getProperty("user.home"));
    }

    static Path defaultRoot(boolean isRoot, String xdgDataHome, String userHome) {
        if (isRoot) {
            return Path.of("/var/lib/strata");
        }
        if (xdgDataHome != null && xdgDataHome.startsWith("/")) { // the XDG spec ignores relative values
            return Path.of(xdgDataHome, "strata");
        }
        return Path.of(userHome, ".local", "share", "strata");
    }

    public ContentStore content() {
        return content;
    }

    public LayerStore layers() {
        return layers;
    }

    public ImageStore images() {
        return images;
    }

    /** The graph driver, with diff support. */
    public DiffDriver driver() {
        return driver;
    }

    /**
     * The image {@code spelling} names: its stored name, any reference form that normalizes to it, a pinned
     * {@code NAME@sha256:…} or an image-ID prefix (see {@link ImageStore#resolve}). Every CLI command that takes a
     * store image resolves it here.
     */
    public ImageRecord resolveImage(String spelling) throws IOException {
        return images.resolve(spelling);
    }

    /**
     * A new lease: what an unfinished image needs stays stored until the lease is closed (see {@link LayerLease}).
     * Register the image's layers under it ({@link LayerStore#hold}, {@link LayerStore#prepare}), name the image with
     * {@link #putImage}, then close it.
     */
    public LayerLease lease() throws IOException {
        return leases.open();
    }

    /**
     * Names an image whose manifest, config and layer blobs are already in {@link #content()}: registers its layers
     * in order (each verified against the config's {@code rootfs.diff_ids}; stored ChainIDs are reused), tags the
     * manifest in the content store (so content gc keeps it) and records the name. A name already in use moves to
     * the new image, and layers only the old image used are removed.
     */
    public ImageRecord addImage(String name, Digest manifestDigest) throws IOException {
        return addImage(name, manifestDigest, ProgressListener.NONE);
    }

    /**
     * {@link #addImage(String, Digest)}, reporting {@link ProgressEvent.AlreadyExists} for each layer whose ChainID
     * is stored and {@link ProgressEvent.Extracting} before each layer it applies. On failure the layers it
     * registered and nothing else uses are removed again.
     */
    public ImageRecord addImage(String name, Digest manifestDigest, ProgressListener listener) throws IOException {
        try (LayerLease lease = lease()) {
            return addImage(name, manifestDigest, listener, lease);
        }
    }

    /** {@link #addImage(String, Digest, ProgressListener)} under the caller's lease, which it closes on failure. */
    private ImageRecord addImage(String name, Digest manifestDigest, ProgressListener listener, LayerLease lease)
            throws IOException {
        ImageManifest manifest = Manifests.parseManifest(content.readSmall(manifestDigest), null);
        manifest.requireKnownLayers();
        ImageConfig config = Manifests.parseConfig(content.readSmall(manifest.config().digest()));
        checkLayerCount(manifest, config);
        List<Digest> chain = ChainId.all(config.diffIds());
        List<Digest> registered = new ArrayList<>();
        try {
            int stored = holdStoredPrefix(chain, lease);
            for (int i = 0; i < stored; i++) {
                listener.onEvent(new ProgressEvent.AlreadyExists(manifest.layers().get(i).digest()));
            }
            for (int i = stored; i < chain.size(); i++) {
                Descriptor blob = manifest.layers().get(i);
                listener.onEvent(new ProgressEvent.Extracting(blob.digest()));
                registerStored(blob, i == 0 ? null : chain.get(i - 1), config.diffIds().get(i), lease);
                registered.add(chain.get(i));
            }
            return putImage(name, manifestDigest);
        } catch (IOException | RuntimeException | Error e) {
            lease.close(); // first: it protects what it registered
            try {
                layers.removeUnused(registered);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * How many layers of {@code chain}, from the base, are stored: holds the topmost of them in {@code lease} (which
     * protects those below it) and returns its index + 1 (0: none). A stored layer's parents are always stored.
     */
    public int holdStoredPrefix(List<Digest> chain, LayerLease lease) throws IOException {
        for (int i = chain.size() - 1; i >= 0; i--) {
            if (layers.hold(chain.get(i), lease).isPresent()) {
                return i + 1;
            }
        }
        return 0;
    }

    /**
     * Registers the blob {@code blob}, already in {@link #content()}, as the layer with DiffID {@code diffId} on top
     * of {@code parent} (null: a base layer), held by {@code lease}: one pass applies it and computes both its digest,
     * which must be the descriptor's (checked here instead of hashing the blob a second time), and its DiffID.
     */
    public LayerRecord registerStored(Descriptor blob, Digest parent, Digest diffId, LayerLease lease)
            throws IOException {
        try (PreparedLayer layer = layers.prepare(parent, diffId, lease);
             InputStream in = openForApply(content, blob)) {
            checkBlob(blob, layer.apply(in));
            return layer.publish();
        }
    }

    /** Throws unless {@code applied} (what applying a blob computed) is the blob {@code expected}. */
    /**
     * A stored blob for the applier, which hashes it with sha256 in its own pass: a sha256 blob is opened as it is
     * (checked by {@link #checkBlob} afterwards, not hashed twice), one of another algorithm verified as it is read.
     */
    public static InputStream openForApply(ContentStore content, Descriptor blob) throws IOException {
        return content.open(blob.digest(), blob.digest().algorithm() != dev.strata.image.digest.DigestAlgorithm.SHA256);
    }

    public static void checkBlob(Descriptor expected, ApplyResult applied) {
        // The applier hashes with sha256; a blob named by another algorithm (OCI allows sha512) was verified with
        // that one as it was read (openVerified, or the content writer of a download), so only its size is left.
        boolean sameAlgorithm = applied.digest().algorithm() == expected.digest().algorithm();
        if ((sameAlgorithm && !applied.digest().equals(expected.digest())) || applied.size() != expected.size()) {
            throw new DigestMismatchException("layer blob is " + applied.digest() + " (" + applied.size()
                    + " bytes) but the manifest lists " + expected.digest() + " (" + expected.size() + " bytes)");
        }
    }

    /**
     * Records the name of an image whose manifest and config are in {@link #content()} and whose layers are all
     * registered (held by the caller's lease until now): tags the manifest in the content store and writes the image
     * record, which references the layers from then on. A name already in use moves to the new image, and layers only
     * the old image used are removed.
     *
     * @throws NotFoundException when a layer of the image is not stored
     */
    public ImageRecord putImage(String name, Digest manifestDigest) throws IOException {
        ImageManifest manifest = Manifests.parseManifest(content.readSmall(manifestDigest), null);
        ImageConfig config = Manifests.parseConfig(content.readSmall(manifest.config().digest()));
        checkLayerCount(manifest, config);
        List<Digest> chain = ChainId.all(config.diffIds());
        ImageRecord record = new ImageRecord(name, manifestDigest, manifest.config().digest());
        Optional<ImageRecord> old;
        try (LayerLease check = lease()) {
            // Held, the top layer (and so the chain) cannot go away between this check and the record.
            if (!chain.isEmpty() && layers.hold(chain.get(chain.size() - 1), check).isEmpty()) {
                throw new NotFoundException("image " + name + " (" + manifestDigest + "): layer "
                        + chain.get(chain.size() - 1) + " is not stored");
            }
            content.tag(name, new Descriptor(manifest.mediaType(), manifestDigest, manifest.size()));
            old = images.put(record);
        }
        if (old.isPresent() && !old.get().equals(record)) {
            layers.removeUnused(chains.of(old.get()));
        }
        return record;
    }

    /**
     * Forgets the name; layers no other image, mount or lease uses are removed; blobs stay until {@link #gc}.
     *
     * @throws FailedPreconditionException when the image is mounted ({@link #mount}) or a container was created from
     *                                     it ({@link #createContainer}); the message names them
     */
    public void removeImage(String name) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            Optional<ImageMount> mounted = mounts.byName(mounts.read(), name);
            if (mounted.isPresent()) {
                throw new FailedPreconditionException("image " + name + " is mounted at " + mounted.get().path()
                        + " (" + mounted.get().count() + " mount(s)); unmount it first");
            }
            Optional<ImageRecord> named = images.get(name);
            if (named.isPresent()) {
                List<Container> on = containers.on(named.get().manifest());
                if (!on.isEmpty()) {
                    throw new FailedPreconditionException("image " + name + " is in use by container(s) "
                            + on.stream().map(c -> c.name() + " (" + c.shortId() + ")").toList()
                            + "; remove them first");
                }
            }
            ImageRecord r = images.remove(name).orElseThrow(() -> new NotFoundException("no image named " + name
                    + " in " + root));
            content.untag(name);
            layers.removeUnused(chains.of(r));
        }
    }

    /**
     * Mounts image {@code imageName} read-only and returns where: the view of its top layer (overlay: an overlay of
     * the layer and its ancestors as lowers only; vfs: the layer's directory). The mount outlives this store and
     * process; it is counted in {@code <root>/mounts.json}, so mounting twice needs two {@link #unmount}s, from
     * any process. The image's layers stay while it is mounted.
     *
     * @throws NotFoundException           when there is no such image
     * @throws FailedPreconditionException when it has no layers, or the name is still mounted as the image it named
     *                                     before it was re-pointed
     */
    public Path mount(String imageName) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            Digest top = topLayer(imageName).orElseThrow(() -> new FailedPreconditionException("image " + imageName
                    + " has no layers to mount"));
            LayerRecord layer = layers.get(top).orElseThrow(() -> new NotFoundException("top layer " + top
                    + " of image " + imageName + " is not stored in " + root));
            List<ImageMount> all = mounts.read();
            Optional<ImageMount> existing = mounts.byName(all, imageName);
            if (existing.isPresent() && !existing.get().layer().equals(top)) {
                throw new FailedPreconditionException("image name " + imageName + " is still mounted at "
                        + existing.get().path() + " as layer " + existing.get().layer() + ", which it named before; "
                        + "unmount that first");
            }
            boolean wasAttached = driver.viewMounted(layer.driverId());
            Path path = driver.mountView(layer.driverId());
            all.removeIf(m -> m.name().equals(imageName));
            all.add(existing.map(m -> m.withCount(m.count() + 1))
                    .orElseGet(() -> new ImageMount(imageName, top, path, 1)));
            try {
                mounts.write(all);
            } catch (IOException | RuntimeException e) {
                if (!wasAttached) {
                    try {
                        driver.unmountView(layer.driverId());
                    } catch (IOException | RuntimeException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                }
                throw e;
            }
            return path;
        }
    }

    /**
     * Releases one {@link #mount} of the image named, or mounted at the path, {@code nameOrPath}; the last release
     * detaches the view (unless another name shows the same layer). Returns how many mounts of it remain.
     *
     * @throws NotFoundException           when nothing is mounted by that name or at that path
     * @throws FailedPreconditionException when the path is the mount of several names (name one)
     */
    public int unmount(String nameOrPath) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            List<ImageMount> all = mounts.read();
            ImageMount m = mounts.byName(all, nameOrPath).orElse(null);
            if (m == null) {
                Set<Path> candidates = pathForms(nameOrPath);
                List<ImageMount> at = all.stream().filter(x -> candidates.contains(x.path())).toList();
                if (at.size() > 1) {
                    throw new FailedPreconditionException(nameOrPath + " is the mount of several images: "
                            + at.stream().map(ImageMount::name).toList() + "; name the one to unmount");
                }
                if (at.isEmpty()) {
                    throw new NotFoundException("no image is mounted as " + nameOrPath + " in " + root
                            + (all.isEmpty() ? "; nothing is mounted"
                            : "; mounted: " + all.stream().map(ImageMount::name).toList()));
                }
                m = at.get(0);
            }
            ImageMount found = m;
            all.removeIf(x -> x.name().equals(found.name()));
            if (found.count() > 1) {
                all.add(found.withCount(found.count() - 1));
                mounts.write(all);
                return found.count() - 1;
            }
            mounts.write(all); // record first: a crash before the detach leaves a view that the next open detaches
            if (all.stream().noneMatch(x -> x.layer().equals(found.layer()))) {
                Optional<LayerRecord> layer = layers.get(found.layer());
                if (layer.isPresent()) {
                    driver.unmountView(layer.get().driverId());
                }
            }
            layers.removeUnusedChain(found.layer());
            return 0;
        }
    }

    /** The images mounted now, sorted by name. */
    public List<ImageMount> mounts() throws IOException {
        try (StoreLock.Held ignored = lock.shared()) {
            return mounts.read();
        }
    }

    private static Set<Path> pathForms(String s) {
        Set<Path> out = new HashSet<>();
        try {
            Path p = Path.of(s).toAbsolutePath().normalize();
            out.add(p);
            if (Files.exists(p)) {
                out.add(p.toRealPath());
            }
        } catch (IOException | java.nio.file.InvalidPathException e) {
            // not a path: only the name could have matched
        }
        return out;
    }

    /** The ChainID of the image's top layer (what {@link LayerStore#mount} takes), or empty for no layers. */
    public Optional<Digest> topLayer(String name) throws IOException {
        ImageRecord r = image(name);
        ImageConfig config = Manifests.parseConfig(content.readSmall(r.config()));
        return config.diffIds().isEmpty() ? Optional.empty()
                : Optional.of(ChainId.of(config.diffIds()));
    }

    /**
     * Builds image {@code name}'s root file system in {@code target} from the layers the store holds: the driver's
     * read-only view of the top layer (the merged overlay, or the VFS layer's full copy) is copied out with
     * reflinks or {@code copy_file_range} where the file system allows. The blobs are not read again: they may have
     * been gc'ed, or the layers may have come from other blobs with the same DiffIDs (see docs/ARCHITECTURE.md,
     * "Content of a stored image"). The view is mounted for the copy (counted, so the image cannot be removed
     * meanwhile) and released after it.
     *
     * <p>{@code target} must not exist or be an empty directory. The tree is built beside it and renamed into place
     * when complete: a failed unpack leaves {@code target} as it was.
     *
     * @throws dev.strata.image.FailedPreconditionException when {@code target} holds something
     */
    public void unpack(String name, Path target) throws IOException {
        image(name);
        try (StagedDirectory staged = StagedDirectory.begin(target)) {
            if (topLayer(name).isPresent()) {
                Path view = mount(name);
                try {
                    new dev.strata.image.fs.TreeCopier().copy(view, staged.path());
                } finally {
                    unmount(name);
                }
            }
            staged.commit();
        }
    }

    /**
     * What {@link #manifestWithBlobs} returned: the manifest to send, and the layers whose blobs were made again.
     *
     * @param manifest  the stored image's manifest, or a new one naming the recreated blobs
     * @param recreated the layers (by index) whose blobs were written again from the stored layers
     */
    public record BlobsForPush(Descriptor manifest, List<Integer> recreated, boolean configRewritten) {
        public BlobsForPush {
            recreated = List.copyOf(recreated);
        }

        /** True when the manifest differs from the stored one (its digest changes; config and DiffIDs do not). */
        public boolean rewritten() {
            return !recreated.isEmpty();
        }
    }

    /**
     * The manifest of image {@code name} with every blob it names in {@link #content()}: a layer whose blob is absent
     * (the image's layers were stored from other blobs with the same DiffIDs, or gc removed the blob) is written
     * again from the stored layer, as a diff against its parent through the driver, in the compression its
     * descriptor named (gzip when it named none we write). Each recreated layer's DiffID must equal the config's.
     * When any was recreated the manifest is new (an OCI manifest: its digest changes, the config stays byte for
     * byte). {@code lease} keeps the new blobs and manifest from a concurrent gc until the caller is done.
     */
    public BlobsForPush manifestWithBlobs(String name, LayerLease lease) throws IOException {
        ImageRecord r = image(name);
        byte[] raw = content.readSmall(r.manifest());
        ImageManifest manifest = Manifests.parseManifest(raw, null);
        ImageConfig config = Manifests.parseConfig(content.readSmall(manifest.config().digest()));
        checkLayerCount(manifest, config);
        List<Digest> chain = dev.strata.image.digest.ChainId.all(config.diffIds());
        List<Descriptor> layersOut = new ArrayList<>();
        List<Integer> recreated = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>(config.diffIds());
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            if (content.exists(layer.digest())) {
                layersOut.add(layer);
                continue;
            }
            LayerRecord rec = layers.get(chain.get(i)).orElseThrow(() -> new NotFoundException("layer " + layer
                    .digest() + " of " + name + " has neither a blob nor a stored layer"));
            int index = i;
            String parent = i == 0 ? null : layers.get(chain.get(i - 1)).map(LayerRecord::driverId)
                    .orElseThrow(() -> new NotFoundException("the parent of layer " + index + " of " + name
                            + " is not stored"));
            dev.strata.image.layer.Compression c = layer.mediaType().endsWith("zstd")
                    ? dev.strata.image.layer.Compression.ZSTD : dev.strata.image.layer.Compression.GZIP;
            dev.strata.image.layer.LayerWriteResult written;
            try (dev.strata.image.content.ContentWriter w = content.writer()) {
                written = driver.diff(rec.driverId(), parent, w, dev.strata.image.layer.LayerWriterOptions.of(c));
                w.commit();
            }
            diffIds.set(i, written.diffId());
            layersOut.add(new Descriptor(written.mediaType(), written.digest(), written.size()));
            recreated.add(i);
        }
        if (recreated.isEmpty()) {
            return new BlobsForPush(manifest.descriptor(), recreated, false);
        }
        Descriptor cfg = manifest.config();
        boolean configRewritten = !diffIds.equals(config.diffIds());
        if (configRewritten) {
            com.fasterxml.jackson.databind.node.ObjectNode tree = (com.fasterxml.jackson.databind.node.ObjectNode)
                    dev.strata.image.internal.JsonTrees.read(config.raw());
            com.fasterxml.jackson.databind.node.ArrayNode ids = tree.withObject("/rootfs").putArray("diff_ids");
            diffIds.forEach(d -> ids.add(d.toString()));
            byte[] newConfig = dev.strata.image.internal.JsonTrees.write(tree);
            Manifests.parseConfig(newConfig); // what we send must parse as strictly as what we read
            cfg = new Descriptor(dev.strata.image.model.MediaType.OCI_CONFIG, content.put(newConfig),
                    newConfig.length);
        }
        ImageManifest rewritten = ImageManifest.create(dev.strata.image.model.MediaType.OCI_MANIFEST,
                new Descriptor(dev.strata.image.model.MediaType.OCI_CONFIG, cfg.digest(), cfg.size()), layersOut,
                manifest.annotations());
        holdContent(rewritten.descriptor(), lease);
        content.put(rewritten.raw());
        return new BlobsForPush(rewritten.descriptor(), recreated, configRewritten);
    }

    /**
     * Applies each layer of {@code manifest} in order, whiteouts as deletions, onto {@code target}: the rootfs
     * {@code umoci unpack} produces. Blobs come from {@link #content()} verified; each DiffID must match the config.
     */
    public void unpack(ImageManifest manifest, Path target) throws IOException {
        unpack(content, manifest, target);
    }

    /**
     * {@link #unpack(ImageManifest, Path)} from any content store, e.g. an OCI layout written by skopeo or umoci.
     * As for a stored image, {@code target} must not exist or be empty, and the tree is built beside it and renamed
     * into place only when every layer's digest and DiffID checked out: a blob that turns out corrupt leaves
     * {@code target} as it was, with nothing of the layers before it.
     */
    public static void unpack(ContentStore content, ImageManifest manifest, Path target) throws IOException {
        manifest.requireKnownLayers();
        ImageConfig config = Manifests.parseConfig(content.readSmall(manifest.config().digest()));
        checkLayerCount(manifest, config);
        try (StagedDirectory staged = StagedDirectory.begin(target)) {
            LayerApplier applier = new LayerApplier();
            for (int i = 0; i < manifest.layers().size(); i++) {
                Descriptor layer = manifest.layers().get(i);
                ApplyResult applied;
                // The applier hashes the blob in its single pass; a verifying stream would hash it a second time.
                try (InputStream in = openForApply(content, layer)) {
                    applied = applier.apply(in, staged.path());
                }
                checkBlob(layer, applied);
                if (!applied.diffId().equals(config.diffIds().get(i))) {
                    throw new DigestMismatchException("layer " + i + " (" + layer.digest() + ") has DiffID "
                            + applied.diffId() + " but the config lists " + config.diffIds().get(i));
                }
            }
            staged.commit();
        }
    }

    /**
     * The single-platform manifest named {@code name} in {@code content} ({@code null}: the layout's only entry),
     * choosing from an index by {@code platform}.
     */
    public static ImageManifest resolveManifest(ContentStore content, String name, Platform platform)
            throws IOException {
        Descriptor d = resolveRoot(content, name);
        for (int depth = 0; depth < 8; depth++) {
            ManifestDocument doc = Manifests.parse(content.readSmall(d.digest()), d.mediaType());
            if (doc instanceof ImageManifest m) {
                return m;
            }
            d = ((ImageIndex) doc).select(platform);
        }
        throw new InvalidImageException("indexes nested more than 8 deep under " + name);
    }

    /** The index.json entry named {@code name} ({@code null}: the only entry), a manifest or an index. */
    public static Descriptor resolveRoot(ContentStore content, String name) throws IOException {
        if (name != null) {
            Optional<Descriptor> d = content.resolve(name);
            if (d.isEmpty()) {
                throw new NotFoundException("no image named '" + name + "' in " + content.root() + "; names: "
                        + String.join(", ", content.tags()));
            }
            return d.get();
        }
        List<Descriptor> all = content.index();
        if (all.size() != 1) {
            throw new NotFoundException(content.root() + " holds " + all.size()
                    + " images; name one (oci:DIR:NAME); names: " + String.join(", ", content.tags()));
        }
        return all.get(0);
    }

    /**
     * Copies image {@code name} of another content store (an OCI layout) into this store, verified, and adds it as
     * {@code asName}: the manifest for {@code platform}, its config and its layers.
     */
    public ImageRecord importImage(ContentStore from, String name, Platform platform, String asName)
            throws IOException {
        ImageManifest manifest = resolveManifest(from, name, platform);
        List<Descriptor> blobs = new ArrayList<>(manifest.layers());
        blobs.add(manifest.config());
        try (LayerLease lease = lease()) {
            // No gc takes the copied blobs before the image is named: the manifest is held, then stored before the
            // blobs so that gc can walk from it (gc collects no content while a held manifest is not stored).
            holdContent(manifest.descriptor(), lease);
            content.put(manifest.raw());
            for (Descriptor b : blobs) {
                if (!content.exists(b.digest())) {
                    try (InputStream in = from.open(b.digest(), false)) {
                        content.write(in, b.digest(), b.size());
                    }
                }
            }
            Digest manifestDigest = content.put(manifest.raw());
            return addImage(asName, manifestDigest, ProgressListener.NONE, lease);
        }
    }

    /**
     * Removes layers no image references and no mount or live lease needs, then blobs that neither a name nor a live
     * lease ({@link #holdContent}) reaches.
     */
    public StoreGcResult gc() throws IOException {
        List<Digest> removed = layers.prune();
        // Under the store lock: a lease cannot start protecting a manifest between the read and the deletions.
        try (StoreLock.Held ignored = lock.exclusive()) {
            Set<Descriptor> pulling = leases.live().content();
            for (Descriptor d : pulling) {
                if (!content.exists(d.digest())) {
                    // A pull holds a manifest it has not stored yet: what it references is unknown, and its config
                    // and layers may land between the walk and the deletions. Collect next time.
                    LOG.info("content gc skipped: manifest {} of a pull in progress is not stored yet", d.digest());
                    return new StoreGcResult(removed, new GcResult(0, List.of(), 0, 0));
                }
            }
            return new StoreGcResult(removed, content.gc(ContentStore.DEFAULT_STALE_INGEST, pulling));
        }
    }

    /**
     * Protects the manifest (or index) {@code root} and every blob it references from {@link #gc} while
     * {@code lease} lives: a pull or import calls this before it stores the manifest, so that the blobs it has
     * fetched but not registered yet are not collected for being unnamed.
     */
    public void holdContent(Descriptor root, LayerLease lease) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            lease.holdContent(root);
        }
    }

    // ---- containers ----------------------------------------------------------------------------------------------

    /**
     * Creates a container on image {@code image} (any spelling {@link #resolveImage} takes): a writable driver layer
     * of its own on the image's top layer (overlay: an empty upper directory; vfs: a copy of the image, with reflinks
     * where the file system has them), recorded under a random 64-hex id and {@code name} (null: a generated one).
     * Crash-safe: a kill at any point leaves the whole container or nothing (an unrecorded driver layer is removed on
     * the next open). The image cannot be removed, and its layers are never collected, while the container exists.
     *
     * @throws dev.strata.image.AlreadyExistsException when another container has {@code name}
     * @throws FailedPreconditionException              when the image has no layers
     * @throws IllegalArgumentException                 when {@code name} is not a valid name
     *                                                  ({@link Container#checkName})
     */
    public Container createContainer(String image, String name) throws IOException {
        ImageRecord r = resolveImage(image);
        Digest top = topLayer(r.name()).orElseThrow(() -> new FailedPreconditionException("image " + r.name()
                + " has no layers to create a container on"));
        return containers.create(r, top, name);
    }

    /** Every container, sorted by name. */
    public List<Container> containers() throws IOException {
        return containers.list();
    }

    /**
     * The container {@code spelling} names: its full id, its name, or a prefix of exactly one container's id (in
     * that order).
     *
     * @throws NotFoundException           when nothing matches
     * @throws FailedPreconditionException when the prefix matches several ids (they are named)
     */
    public Container resolveContainer(String spelling) throws IOException {
        return containers.resolve(spelling);
    }

    /**
     * Mounts container {@code c}'s root file system read-write and returns where (overlay: the image's layers as
     * lowers and the container's layer as upper; vfs: the container layer's directory). Like {@link #mount} it
     * outlives this store and process and is counted in the container's record: every mount needs an
     * {@link #unmountContainer}, from any process.
     *
     * @throws NotFoundException when the container no longer exists
     */
    public Path mountContainer(Container c) throws IOException {
        return containers.mount(c);
    }

    /**
     * Releases one {@link #mountContainer}; the last detaches the mount. Returns how many remain.
     *
     * @throws FailedPreconditionException when the container is not mounted
     */
    public int unmountContainer(Container c) throws IOException {
        return containers.unmount(c);
    }

    /**
     * What changed in container {@code c} against its image, in tree order. Overlay reads its upper directory
     * (native diff), vfs compares trees; both through {@link dev.strata.image.fs.RootedTreeReader}, which never
     * follows a symlink the container's processes put there. Works while the container is mounted.
     */
    public List<dev.strata.image.layer.Change> changes(Container c) throws IOException {
        return containers.changes(c);
    }

    /**
     * Writes container {@code c}'s changes against its image as an OCI layer to {@code out} (flushed, not closed),
     * computing digest, size and DiffID as it writes; read as {@link #changes} is.
     */
    public dev.strata.image.layer.LayerWriteResult diff(Container c, java.io.OutputStream out,
                                                        dev.strata.image.layer.LayerWriterOptions options)
            throws IOException {
        return containers.diff(c, out, options);
    }

    /**
     * Removes container {@code c}: its record, then its driver layer; image layers only it kept (its image's name
     * was moved to another image meanwhile) are removed too.
     *
     * @param force also when mounted: the mount is detached first (as {@code podman rm --force})
     * @throws FailedPreconditionException when it is mounted and {@code force} is false
     */
    public void removeContainer(Container c, boolean force) throws IOException {
        containers.remove(c, force);
    }

    /**
     * The image layer a commit made from a container: its blob (in the content store), DiffID and ChainID.
     *
     * @param blob    descriptor of the compressed layer blob
     * @param diffId  digest of the uncompressed tar
     * @param chainId the new layer's ChainID (on the container's top layer), registered and held
     */
    record CommittedLayer(Descriptor blob, Digest diffId, Digest chainId) {
    }

    /**
     * The first half of a commit: streams container {@code c}'s diff once into a content writer (digest, size and
     * DiffID computed on the way), commits the blob and holds it in {@code lease} under the store lock (so no gc
     * takes it before a manifest names it), then registers it as a layer on the container's top layer through the
     * normal registration path (the blob applied onto a new driver layer, held by {@code lease}). The container's
     * own driver layer stays the container's: an image layer never changes after it is published.
     */
    CommittedLayer commitLayer(Container c, LayerWriterOptions options, LayerLease lease) throws IOException {
        if (layers.hold(c.topLayer(), lease).isEmpty()) {
            throw new NotFoundException("image layer " + c.topLayer() + " under container " + c.name()
                    + " is not stored in " + root);
        }
        Descriptor blob;
        dev.strata.image.layer.LayerWriteResult written;
        try (dev.strata.image.content.ContentWriter w = content.writer()) {
            written = containers.diff(c, w, options);
            blob = new Descriptor(written.mediaType(), written.digest(), written.size());
            try (StoreLock.Held ignored = lock.exclusive()) {
                w.commit();
                lease.holdContent(blob);
            }
        }
        Digest chainId = ChainId.next(c.topLayer(), written.diffId());
        if (layers.hold(chainId, lease).isEmpty()) {
            registerStored(blob, c.topLayer(), written.diffId(), lease);
        }
        return new CommittedLayer(blob, written.diffId(), chainId);
    }

    @Override
    public void close() throws IOException {
        driver.close();
    }

    /** The ChainIDs of named images, from their configs (immutable by digest, so parsed once per store). */
    static final class ImageChains {
        private final ImageStore images;
        private final ContentStore content;
        private final Map<Digest, List<Digest>> byConfig = new ConcurrentHashMap<>();

        ImageChains(ImageStore images, ContentStore content) {
            this.images = images;
            this.content = content;
        }

        /** Base first. */
        List<Digest> of(ImageRecord r) throws IOException {
            List<Digest> chain = byConfig.get(r.config());
            if (chain == null) {
                chain = ChainId.all(Manifests.parseConfig(content.readSmall(r.config())).diffIds());
                byConfig.put(r.config(), chain);
            }
            return chain;
        }

        Set<Digest> all() throws IOException {
            Set<Digest> all = new HashSet<>();
            for (ImageRecord r : images.list()) {
                all.addAll(of(r));
            }
            return all;
        }
    }

    @Override
    public String toString() {
        return "Store[" + root + ", " + driver.name() + "]";
    }

    private ImageRecord image(String name) throws IOException {
        return images.get(name).orElseThrow(() -> new NotFoundException("no image named " + name + " in " + root));
    }

    private static void checkLayerCount(ImageManifest manifest, ImageConfig config) {
        if (manifest.layers().size() != config.diffIds().size()) {
            throw new InvalidImageException("manifest " + manifest.digest() + " lists " + manifest.layers().size()
                    + " layers but its config has " + config.diffIds().size() + " diff_ids");
        }
    }
}
