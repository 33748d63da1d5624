package dev.strata.driver.overlay;

import dev.strata.image.AlreadyExistsException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.NotFoundException;
import dev.strata.image.driver.DiffDriver;
import dev.strata.image.driver.DriverUsers;
import dev.strata.image.driver.GraphDrivers;
import dev.strata.image.driver.LayerIds;
import dev.strata.image.driver.MountRefs;
import dev.strata.image.fs.Mounts;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.fs.RootedFsException;
import dev.strata.image.layer.ApplyOptions;
import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.Changes;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriter;
import dev.strata.image.layer.LayerWriterOptions;
import dev.strata.image.layer.WhiteoutMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The overlayfs driver: every layer stores only its own changes, in overlay form, and a layer with ancestors is
 * viewed through an overlay mount of its ancestors (read-only lowers) and its own directory (the upper).
 *
 * <pre>
 * &lt;home&gt;/layers/&lt;id&gt;/diff     the layer's changes: whiteouts are char 0/0, opaque dirs trusted.overlay.opaque=y
 * &lt;home&gt;/layers/&lt;id&gt;/work     overlay's work directory
 * &lt;home&gt;/layers/&lt;id&gt;/merged   the mount point of the layer's view
 * &lt;home&gt;/layers/&lt;id&gt;/view     the mount point of its read-only view (lowers only), made by the first mountView
 * &lt;home&gt;/layers/&lt;id&gt;/rw       the mount point of its persistent writable view (a container's rootfs: lowers,
 *                              diff as upper, work), made by the first mountWritable
 * &lt;home&gt;/layers/&lt;id&gt;/link     the layer's short id
 * &lt;home&gt;/layers/&lt;id&gt;/lower    its ancestors as l/&lt;short&gt;, nearest first, colon-separated (absent: base layer)
 * &lt;home&gt;/l/&lt;short&gt;            symlink to ../layers/&lt;id&gt;/diff: short paths for mount(2)'s one page of options
 * &lt;home&gt;/empty                 an empty directory: the second lower of a base layer's read-only view
 * </pre>
 *
 * Layers live under {@code layers/} rather than directly in the home so that a layer id can never collide with
 * {@code l}. A base layer (no parent) is its own view: {@link #get} returns its diff directory without a mount.
 * The diff of a layer against its parent is read from its directory alone (native diff); other pairs are compared
 * tree against tree.
 *
 * <p>Crash safety: a layer is built in {@code layers/<id>.tmp-<random>} and renamed into place; removal renames it
 * away first. {@link #open} deletes leftovers, unmounts what a dead process left mounted under {@code merged/}, and
 * rebuilds lost links. Read-only views ({@link #mountView}) and writable views ({@link #mountWritable}) are owned
 * by whoever recorded them (the store's {@code mounts.json} and container records): neither open nor
 * {@link #close} touches them.
 *
 * <p>Thread-safe (methods synchronize on the driver); several processes must be serialized by the caller.
 */
public final class OverlayDriver implements DiffDriver {
    private static final Logger LOG = LoggerFactory.getLogger(OverlayDriver.class);
    private static final String TMP = ".tmp-";
    private static final String SHORT_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final int SHORT_LENGTH = 26;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path home;
    private final Path layersDir;
    private final Path linksDir;
    private final Path emptyDir;
    private final OverlayMounter mounter;
    private final MountRefs refs = new MountRefs();
    /** Layers whose content an {@link #applyDiff} is writing (outside the monitor). */
    private final Set<String> applying = new HashSet<>();
    private final Set<String> mounted = new TreeSet<>();
    private final Map<String, String> shortToId = new HashMap<>();
    private boolean closed;
    /** Shared while open: the repairs of {@link #init} run only when no other process is open. */
    private DriverUsers users;
    private List<String> layerCache;
    private Map<String, Object> layerCacheKey;

    private OverlayDriver(Path home, OverlayMounter mounter) {
        this.home = home;
        this.layersDir = home.resolve("layers");
        this.linksDir = home.resolve("l");
        this.emptyDir = home.resolve("empty");
        this.mounter = mounter;
    }

    /** Opens the driver at {@code home} with the best mount API this kernel has. */
    public static OverlayDriver open(Path home) throws IOException {
        return open(home, null);
    }

    /** {@code api} null: detect; else force it (tests compare both). */
    static OverlayDriver open(Path home, OverlayMounter.Api api) throws IOException {
        Path abs = home.toAbsolutePath();
        Files.createDirectories(abs);
        OverlayMounter.Api chosen = api != null ? api : OverlayMounter.detect(abs);
        OverlayDriver d = new OverlayDriver(abs, new OverlayMounter(chosen));
        d.init();
        return d;
    }

    private void init() throws IOException {
        for (Path p : List.of(layersDir, linksDir, emptyDir)) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        }
        Files.setPosixFilePermissions(layersDir, PosixFilePermissions.fromString("rwx------"));
        users = DriverUsers.join(home, this::removeLeftovers);
        for (String id : layers()) {
            shortToId.put(shortOf(id), id);
        }
    }

    /**
     * What an earlier process left: mounts, temp directories of interrupted creates and removes, missing or stray
     * links. Only while no other process has this home open: else they may be its work in progress.
     */
    private void removeLeftovers() throws IOException {
        for (Path mp : Mounts.mountPointsUnder(home)) {
            if (isViewPath(mp) || isWritablePath(mp)) {
                continue; // owned by a persisted record, possibly of another live process
            }
            LOG.warn("unmounting {} left mounted by an earlier process", mp);
            Mounts.unmount(mp, true);
        }
        try (RootedFs fs = RootedFs.open(layersDir)) {
            for (String name : fs.list("")) {
                if (name.contains(TMP)) {
                    fs.removeAll(name);
                }
            }
        }
        Set<String> shorts = new HashSet<>();
        for (String id : layers()) {
            String s = shortOf(id);
            shorts.add(s);
            Path link = linksDir.resolve(s);
            Path target = Path.of("..", "layers", id, "diff");
            if (!Files.isSymbolicLink(link) || !Files.readSymbolicLink(link).equals(target)) {
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, target);
                LOG.info("rebuilt link {} of layer {}", link, id);
            }
        }
        try (Stream<Path> s = Files.list(linksDir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (!shorts.contains(p.getFileName().toString())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Override
    public String name() {
        return OverlayDriverProvider.NAME;
    }

    @Override
    public Path home() {
        return home;
    }

    @Override
    public synchronized void create(String id, String parent) throws IOException {
        ensureOpen();
        LayerIds.check(id);
        if (exists(id)) {
            throw new AlreadyExistsException("layer " + id + " already exists in " + layersDir);
        }
        String lower = "";
        if (parent != null) {
            requireExists(LayerIds.check(parent));
            List<String> parentLower = lowerEntries(parent);
            if (parentLower.size() + 1 > OverlayMounter.MAX_LOWERS) {
                throw OverlayMounter.tooDeep("layer " + id, parentLower.size() + 1);
            }
            lower = "l/" + shortOf(parent) + (parentLower.isEmpty() ? "" : ":" + String.join(":", parentLower));
        }
        String shortId = newShortId();
        Path tmp = layersDir.resolve(id + TMP + UUID.randomUUID());
        try {
            Files.createDirectory(tmp);
            Files.createDirectory(tmp.resolve("diff"));
            Files.createDirectory(tmp.resolve("work"));
            Files.createDirectory(tmp.resolve("merged"));
            Files.setPosixFilePermissions(tmp.resolve("diff"), PosixFilePermissions.fromString("rwxr-xr-x"));
            writeDurably(tmp.resolve("link"), shortId);
            if (parent != null) {
                writeDurably(tmp.resolve("lower"), lower);
            }
            fsync(tmp);
            Files.move(tmp, layersDir.resolve(id), StandardCopyOption.ATOMIC_MOVE);
            fsync(layersDir);
        } catch (IOException | RuntimeException e) {
            try (RootedFs fs = RootedFs.open(layersDir)) {
                fs.removeAll(tmp.getFileName().toString());
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        Files.createSymbolicLink(linksDir.resolve(shortId), Path.of("..", "layers", id, "diff"));
        shortToId.put(shortId, id);
        layerCache = null;
    }

    /** Each layer is its own diff/ dir, applied without looking at the lower layers: see {@link #applyDiff}. */
    @Override
    public boolean appliesLayersIndependently() {
        return true;
    }

    @Override
    public synchronized void remove(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        requireNotApplying(id, "remove");
        GraphDrivers.requireRemovable(this, refs, id);
        if (viewMounted(id)) {
            throw new FailedPreconditionException("layer " + id + " has its read-only view mounted at "
                    + viewDir(id) + "; unmount it first");
        }
        if (writableMounted(id)) {
            throw new FailedPreconditionException("layer " + id + " has its writable view mounted at "
                    + writableDir(id) + "; unmount it first");
        }
        Path dir = layersDir.resolve(id);
        // never delete through a mount: that would reach into the lower layers
        for (Path mp : Mounts.mountPointsUnder(dir)) {
            Mounts.unmount(mp, true);
        }
        mounted.remove(id);
        String shortId = shortOf(id);
        String gone = id + TMP + "removing-" + UUID.randomUUID();
        Files.move(dir, layersDir.resolve(gone), StandardCopyOption.ATOMIC_MOVE);
        layerCache = null;
        Files.deleteIfExists(linksDir.resolve(shortId));
        shortToId.remove(shortId);
        try (RootedFs fs = RootedFs.open(layersDir)) {
            fs.removeAll(gone);
        }
    }

    @Override
    public synchronized Path get(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        requireNotApplying(id, "mount");
        boolean first = refs.acquire(id);
        Path dir = layersDir.resolve(id);
        if (!Files.exists(dir.resolve("lower"), LinkOption.NOFOLLOW_LINKS)) {
            return dir.resolve("diff");
        }
        if (!mounted.contains(id) && isMountedDir(writableDir(id))) {
            return writableDir(id); // a second mount would share its upper and work directories
        }
        if (first) {
            try {
                mount(id);
            } catch (IOException | RuntimeException e) {
                refs.release(id);
                throw e;
            }
        }
        return dir.resolve("merged");
    }

    @Override
    public synchronized void put(String id) throws IOException {
        ensureOpen();
        if (refs.release(LayerIds.check(id)) && mounted.contains(id)) {
            unmount(id);
        }
    }

    @Override
    public synchronized boolean exists(String id) {
        ensureOpen();
        return Files.isDirectory(layersDir.resolve(LayerIds.check(id)), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Mounts {@code <home>/layers/<id>/view}: an overlay of the layer's diff and its ancestors' as lowers only (no
     * upper, no work directory), so the view is read-only and several of them never share a work directory. A
     * base layer gets {@code <home>/empty} as second lower, as overlayfs needs two lowers without an upper.
     */
    @Override
    public synchronized Path mountView(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        requireNotApplying(id, "mount a view of");
        Path view = viewDir(id);
        if (isMountedDir(view)) {
            return view;
        }
        List<Path> lowers = new ArrayList<>(List.of(diffDir(id)));
        List<Path> shortLowers = new ArrayList<>(List.of(linksDir.resolve(shortOf(id))));
        for (String a : ancestors(id)) {
            lowers.add(diffDir(a));
        }
        for (String e : lowerEntries(id)) {
            shortLowers.add(home.resolve(e));
        }
        if (lowers.size() == 1) {
            lowers.add(emptyDir);
            shortLowers.add(emptyDir);
        }
        if (!Files.isDirectory(view, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(view);
        }
        mounter.mountReadOnly("the read-only view of layer " + id, lowers, shortLowers, view);
        return view;
    }

    @Override
    public synchronized void unmountView(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        Path view = viewDir(id);
        if (isMountedDir(view)) {
            try {
                Mounts.unmount(view, false);
            } catch (RootedFsException e) {
                if (!"EBUSY".equals(e.errnoName())) {
                    throw e;
                }
                LOG.warn("{} is busy; detaching it (it goes away when its last user does)", view);
                Mounts.unmount(view, true);
            }
        }
    }

    @Override
    public synchronized boolean viewMounted(String id) throws IOException {
        ensureOpen();
        return isMountedDir(viewDir(LayerIds.check(id)));
    }

    /**
     * Mounts {@code <home>/layers/<id>/rw}: the layer's ancestors as lowers and its diff directory as upper, with
     * its work directory, read-write; the same overlay {@link #get} makes, but persistent. A base layer has no
     * lowers: its diff directory is the view, as for {@link #get}.
     */
    @Override
    public synchronized Path mountWritable(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        requireNotApplying(id, "mount a writable view of");
        Path dir = layersDir.resolve(id);
        if (!Files.exists(dir.resolve("lower"), LinkOption.NOFOLLOW_LINKS)) {
            return dir.resolve("diff");
        }
        Path rw = writableDir(id);
        if (isMountedDir(rw)) {
            return rw;
        }
        if (mounted.contains(id) || isMountedDir(dir.resolve("merged"))) {
            throw new FailedPreconditionException("layer " + id + " is mounted at " + dir.resolve("merged")
                    + " (get without put): a writable view would share its upper and work directories");
        }
        List<String> entries = lowerEntries(id);
        if (entries.size() > OverlayMounter.MAX_LOWERS) {
            throw OverlayMounter.tooDeep("layer " + id, entries.size());
        }
        List<Path> lowers = new ArrayList<>();
        List<Path> shortLowers = new ArrayList<>();
        for (String a : ancestors(id)) {
            lowers.add(diffDir(a));
        }
        for (String e : entries) {
            shortLowers.add(home.resolve(e));
        }
        if (!Files.isDirectory(rw, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(rw);
        }
        mounter.mount("the writable view of layer " + id, lowers, shortLowers, diffDir(id), dir.resolve("work"), rw);
        return rw;
    }

    @Override
    public synchronized void unmountWritable(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        Path rw = writableDir(id);
        if (isMountedDir(rw)) {
            try {
                Mounts.unmount(rw, false);
            } catch (RootedFsException e) {
                if (!"EBUSY".equals(e.errnoName())) {
                    throw e;
                }
                LOG.warn("{} is busy; detaching it (it goes away when its last user does)", rw);
                Mounts.unmount(rw, true);
            }
        }
    }

    /** True only for a mounted {@code rw/}: a base layer's writable view is its directory, never "attached". */
    @Override
    public synchronized boolean writableMounted(String id) throws IOException {
        ensureOpen();
        return isMountedDir(writableDir(LayerIds.check(id)));
    }

    private Path writableDir(String id) {
        return layersDir.resolve(id).resolve("rw");
    }

    private boolean isWritablePath(Path mountPoint) {
        Path p = mountPoint.toAbsolutePath().normalize();
        return p.getNameCount() == layersDir.getNameCount() + 2 && p.startsWith(layersDir)
                && p.getFileName().toString().equals("rw");
    }

    private Path viewDir(String id) {
        return layersDir.resolve(id).resolve("view");
    }

    private boolean isViewPath(Path mountPoint) {
        Path p = mountPoint.toAbsolutePath().normalize();
        return p.getNameCount() == layersDir.getNameCount() + 2 && p.startsWith(layersDir)
                && p.getFileName().toString().equals("view");
    }

    /**
     * Whether an overlay is mounted on {@code dir}: an overlay has a device of its own, so its root differs from
     * the directory holding the mount point. Two stats instead of reading /proc/self/mountinfo, which lists every
     * lower directory of every overlay and grows with the layers mounted.
     */
    private static boolean isMountedDir(Path dir) throws IOException {
        try {
            Object dev = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            return !dev.equals(Files.getAttribute(dir.getParent(), "unix:dev", LinkOption.NOFOLLOW_LINKS));
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException e) { // e.g. ESTALE/ENOTCONN from a mount whose lowers went away
            return Mounts.mountPointsUnder(dir).contains(dir.toAbsolutePath().normalize());
        }
    }

    @Override
    public synchronized String parent(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        List<String> ancestors = ancestors(id);
        return ancestors.isEmpty() ? null : ancestors.get(0);
    }

    /**
     * Answered from memory while {@code layers/} is unchanged: the listing is cached with the directory's identity,
     * link count and change/modification times (nanoseconds), read before the listing, so a layer created or removed
     * by another process afterwards changes the key (Linux 6.13+ multigrain timestamps guarantee a new stamp after
     * one was read; on older kernels the link count catches what one clock tick could hide).
     */
    @Override
    public synchronized List<String> layers() throws IOException {
        Map<String, Object> key = Files.readAttributes(layersDir, "unix:ino,nlink,ctime,lastModifiedTime",
                LinkOption.NOFOLLOW_LINKS);
        if (layerCache != null && key.equals(layerCacheKey)) {
            return new ArrayList<>(layerCache);
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(layersDir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> !n.contains(".")).forEach(out::add);
        }
        out.sort(null);
        layerCache = List.copyOf(out);
        layerCacheKey = key;
        return out;
    }

    @Override
    public synchronized Map<String, String> status() throws IOException {
        ensureOpen();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("Driver", name());
        m.put("Home", home.toString());
        m.put("Backing Filesystem", Files.getFileStore(home).type());
        m.put("Layers", Integer.toString(layers().size()));
        m.put("In use", Integer.toString(refs.active().size()));
        m.put("Mounted", Integer.toString(mounted.size()));
        m.put("Mount API", mounter.api() == OverlayMounter.Api.NEW
                ? "new (fsopen/fsconfig lowerdir+/fsmount/move_mount)" : "legacy mount(2), options in one page");
        List<String> off = OverlayMounter.forcedOff();
        m.put("Native diff", off.containsAll(List.of("redirect_dir", "metacopy"))
                ? "true (mounted with " + String.join(", ", off) + " off: the upper directory is the change set)"
                : "true unless the kernel enables redirect_dir/metacopy by default (they cannot be switched off"
                + " here); such uppers are reported, not misread");
        return m;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        for (String id : new ArrayList<>(mounted)) {
            try {
                unmount(id);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        refs.clear();
        if (users != null) {
            users.close();
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---- diffs ---------------------------------------------------------------------------------------------------

    @Override
    public LayerWriteResult diff(String id, String parent, OutputStream out, LayerWriterOptions options)
            throws IOException {
        synchronized (this) {
            ensureOpen();
            requireExists(id);
            if (isNative(id, parent)) {
                Path upper = diffDir(id);
                return new LayerWriter(options).write(upper, nativeChanges(id), out);
            }
        }
        return withTrees(id, parent, (lower, upper) ->
                new LayerWriter(options).write(upper, Changes.between(lower, upper), out));
    }

    @Override
    public List<Change> changes(String id, String parent) throws IOException {
        synchronized (this) {
            ensureOpen();
            requireExists(id);
            if (isNative(id, parent)) {
                return nativeChanges(id);
            }
        }
        return withTrees(id, parent, Changes::between);
    }

    /**
     * Applies the layer straight into the layer's diff directory, in overlay form (whiteouts become char 0/0 devices
     * and opaque xattrs); a base layer has nothing below it, so its whiteouts are applied as deletions and its
     * directory stays a clean tree. The layer must not be in use: an upper must not change under a mount.
     */
    @Override
    public ApplyResult applyDiff(String id, String parent, InputStream in) throws IOException {
        // Each layer is its own diff/ directory, so applies of different layers run in parallel: only the checks
        // hold the driver's monitor, and a layer being applied cannot be mounted or removed meanwhile.
        WhiteoutMode mode;
        Path target;
        synchronized (this) {
            ensureOpen();
            requireExists(id);
            if (refs.count(id) > 0) {
                throw new FailedPreconditionException("cannot apply a layer onto " + id + ": it is in use ("
                        + refs.count(id) + " gets without put)");
            }
            if (writableMounted(id)) {
                throw new FailedPreconditionException("cannot apply a layer onto " + id + ": its writable view is "
                        + "mounted at " + writableDir(id));
            }
            if (!applying.add(id)) {
                throw new FailedPreconditionException("layer " + id + " is already being applied");
            }
            mode = ancestors(id).isEmpty() ? WhiteoutMode.DELETE : WhiteoutMode.OVERLAY;
            target = diffDir(id);
        }
        try {
            return new LayerApplier(ApplyOptions.defaults().withWhiteouts(mode)).apply(in, target);
        } finally {
            synchronized (this) {
                applying.remove(id);
            }
        }
    }

    @Override
    public long diffSize(String id, String parent) throws IOException {
        return diff(id, parent, OutputStream.nullOutputStream(), LayerWriterOptions.of(Compression.NONE))
                .uncompressedSize();
    }

    /** The upper directory is the change set exactly when the diff is taken against the layer's own parent. */
    private boolean isNative(String id, String parent) throws IOException {
        List<String> ancestors = ancestors(id);
        return parent == null ? ancestors.isEmpty() : !ancestors.isEmpty() && ancestors.get(0).equals(parent);
    }

    private List<Change> nativeChanges(String id) throws IOException {
        List<Path> lowers = new ArrayList<>();
        for (String a : ancestors(id)) {
            lowers.add(diffDir(a));
        }
        return Changes.fromOverlayUpper(diffDir(id), lowers);
    }

    @FunctionalInterface
    private interface TreeOp<T> {
        T apply(Path lower, Path upper) throws IOException;
    }

    /** The tree-against-tree fallback: both views held (mounted) while {@code op} runs. */
    private <T> T withTrees(String id, String parent, TreeOp<T> op) throws IOException {
        Path upper = get(id);
        try {
            if (parent == null) {
                Path empty = Files.createTempDirectory(home, "empty" + TMP);
                try {
                    return op.apply(empty, upper);
                } finally {
                    Files.deleteIfExists(empty);
                }
            }
            Path lower = get(parent);
            try {
                return op.apply(lower, upper);
            } finally {
                put(parent);
            }
        } finally {
            put(id);
        }
    }

    private void requireNotApplying(String id, String what) {
        if (applying.contains(id)) {
            throw new FailedPreconditionException("cannot " + what + " layer " + id + ": its content is being applied");
        }
    }

    // ---- mounts --------------------------------------------------------------------------------------------------

    private void mount(String id) throws IOException {
        Path dir = layersDir.resolve(id);
        List<String> entries = lowerEntries(id);
        if (entries.size() > OverlayMounter.MAX_LOWERS) {
            throw OverlayMounter.tooDeep("layer " + id, entries.size());
        }
        List<Path> lowers = new ArrayList<>();
        List<Path> shortLowers = new ArrayList<>();
        for (String a : ancestors(id)) {
            lowers.add(diffDir(a));
        }
        for (String e : entries) {
            shortLowers.add(home.resolve(e));
        }
        Path merged = dir.resolve("merged");
        if (isMountedDir(merged)) {
            Mounts.unmount(merged, true); // stale: the workdir must not be shared by two mounts
        }
        mounter.mount("layer " + id, lowers, shortLowers, dir.resolve("diff"), dir.resolve("work"), merged);
        mounted.add(id);
    }

    private void unmount(String id) throws IOException {
        Path merged = layersDir.resolve(id).resolve("merged");
        try {
            Mounts.unmount(merged, false);
        } catch (RootedFsException e) {
            if (!"EBUSY".equals(e.errnoName())) {
                throw e;
            }
            LOG.warn("{} is busy; detaching it (it goes away when its last user does)", merged);
            Mounts.unmount(merged, true);
        } finally {
            mounted.remove(id);
        }
    }

    // ---- records -------------------------------------------------------------------------------------------------

    private Path diffDir(String id) {
        return layersDir.resolve(id).resolve("diff");
    }

    /** The {@code lower} file's entries ({@code l/<short>}, nearest ancestor first); empty for a base layer. */
    private List<String> lowerEntries(String id) throws IOException {
        Path f = layersDir.resolve(id).resolve("lower");
        if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        String s = Files.readString(f, StandardCharsets.UTF_8).trim();
        return s.isEmpty() ? List.of() : List.of(s.split(":"));
    }

    /** Ancestor ids, nearest first. */
    private List<String> ancestors(String id) throws IOException {
        List<String> out = new ArrayList<>();
        for (String e : lowerEntries(id)) {
            String shortId = e.startsWith("l/") ? e.substring(2) : e;
            String a = shortToId.get(shortId);
            if (a == null) {
                a = idOfLink(shortId); // created by another process after this one opened
            }
            if (a == null) {
                throw new NotFoundException("layer " + id + " lists ancestor " + e + " in "
                        + layersDir.resolve(id).resolve("lower") + ", but no layer has that short id");
            }
            out.add(a);
        }
        return out;
    }

    /** The layer id {@code l/<shortId>} points to ({@code ../layers/<id>/diff}), remembered; null if none. */
    private String idOfLink(String shortId) throws IOException {
        Path target;
        try {
            target = Files.readSymbolicLink(linksDir.resolve(LayerIds.check(shortId)));
        } catch (java.nio.file.NoSuchFileException | java.nio.file.NotLinkException e) {
            return null;
        }
        if (target.getNameCount() != 4 || !target.getName(0).toString().equals("..")
                || !target.getName(1).toString().equals("layers") || !target.getName(3).toString().equals("diff")) {
            return null;
        }
        String id = LayerIds.check(target.getName(2).toString());
        if (!exists(id)) {
            return null;
        }
        shortToId.put(shortId, id);
        return id;
    }

    private String shortOf(String id) throws IOException {
        return Files.readString(layersDir.resolve(id).resolve("link"), StandardCharsets.UTF_8).trim();
    }

    private String newShortId() {
        while (true) {
            StringBuilder sb = new StringBuilder(SHORT_LENGTH);
            for (int i = 0; i < SHORT_LENGTH; i++) {
                sb.append(SHORT_CHARS.charAt(RANDOM.nextInt(SHORT_CHARS.length())));
            }
            String s = sb.toString();
            if (!shortToId.containsKey(s) && !Files.exists(linksDir.resolve(s), LinkOption.NOFOLLOW_LINKS)) {
                return s;
            }
        }
    }

    /** Leaves the users of this home as the kernel does when the process dies (tests that simulate a crash). */
    synchronized void leaveUsers() {
        users.close();
    }

    /** Ids of layers currently mounted by this driver (tests). */
    synchronized Set<String> mountedLayers() {
        return new TreeSet<>(mounted);
    }

    OverlayMounter.Api mountApi() {
        return mounter.api();
    }

    private void requireExists(String id) {
        if (!exists(id)) {
            throw new NotFoundException("layer " + id + " does not exist in " + layersDir);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("overlay driver at " + home + " is closed");
        }
    }

    private static void writeDurably(Path file, String content) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void fsync(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public String toString() {
        return "OverlayDriver[" + home + ", " + mounter.api() + " mount API]";
    }
}
