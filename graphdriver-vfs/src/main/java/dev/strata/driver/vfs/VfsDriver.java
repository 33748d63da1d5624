package dev.strata.driver.vfs;

import dev.strata.image.AlreadyExistsException;
import dev.strata.image.NotFoundException;
import dev.strata.image.driver.DriverUsers;
import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.GraphDrivers;
import dev.strata.image.driver.LayerIds;
import dev.strata.image.driver.MountRefs;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.fs.TreeCopier;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The copy-based driver: every layer is a complete directory tree, created as a {@link TreeCopier} copy of its
 * parent. Slow and space hungry, but it needs nothing from the kernel or file system, so it is the fallback.
 *
 * <pre>
 * &lt;home&gt;/dir/&lt;id&gt;/       the layer's tree (dir/ is 0700: setuid files in images stay unreachable)
 * &lt;home&gt;/parent/&lt;id&gt;     the parent id (empty for a base layer)
 * </pre>
 *
 * Crash safety: a layer is built in {@code dir/<id>.tmp-<random>} and renamed into place after its parent record
 * is written; removal renames it away before deleting. Ids cannot contain dots, so leftovers never collide with
 * layers, and {@link #open} deletes them (and parent records without a layer).
 *
 * <p>Thread-safe (methods synchronize on the driver); several processes must be serialized by the caller (the
 * store's lock).
 */
public final class VfsDriver implements GraphDriver {
    private static final String TMP = ".tmp-";

    private final Path home;
    private final Path dirs;
    private final Path parents;
    private final MountRefs refs = new MountRefs();
    private TreeCopier.Method copyMethod;
    private boolean closed;
    /** Shared while open: the temp-directory cleanup of {@link #init} runs only when no other process is open. */
    private DriverUsers users;
    /** The last listing of {@code dir/}, reused while the directory is unchanged; null when unknown. */
    private Listing listing;

    /**
     * A sorted listing of {@code dir/} and the change stamp of {@code dir/} taken just before it: the directory's
     * ctime (every entry added, removed or renamed moves it, whichever process did it) and its identity.
     */
    private record Listing(Object fileKey, FileTime ctime, List<String> ids) {
    }

    /**
     * File systems stamp times from a coarse clock (a jiffy; a whole second on some), so two changes close together
     * can leave the same ctime. A listing is only reused when the directory's ctime was at least this old when it
     * was taken: a later change then necessarily shows as a newer ctime.
     */
    private static final Duration RACY = Duration.ofSeconds(2);

    private VfsDriver(Path home) {
        this.home = home;
        this.dirs = home.resolve("dir");
        this.parents = home.resolve("parent");
    }

    /** Opens the driver at {@code home}, creating it, and removes what an interrupted create or remove left. */
    public static VfsDriver open(Path home) throws IOException {
        VfsDriver d = new VfsDriver(home.toAbsolutePath());
        d.init();
        return d;
    }

    private void init() throws IOException {
        Files.createDirectories(home);
        for (Path p : List.of(dirs, parents)) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        }
        Files.setPosixFilePermissions(dirs, PosixFilePermissions.fromString("rwx------"));
        users = DriverUsers.join(home, this::removeLeftovers);
    }

    /** What an interrupted create or remove left; only while no other process has this home open. */
    private void removeLeftovers() throws IOException {
        try (RootedFs fs = RootedFs.open(dirs)) {
            for (String name : fs.list("")) {
                if (name.contains(TMP)) {
                    fs.removeAll(name);
                }
            }
        }
        try (Stream<Path> s = Files.list(parents)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                if (name.contains(TMP) || !Files.isDirectory(dirs.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Override
    public String name() {
        return VfsDriverProvider.NAME;
    }

    @Override
    public Path home() {
        return home;
    }

    /**
     * The copy of the parent runs outside this driver's monitor: it takes seconds for a large parent, and a thread
     * holding the store lock may need the driver meanwhile (the store lock must never wait for a layer copy). The
     * parent cannot go away meanwhile: the store's lease holds it.
     */
    @Override
    public void create(String id, String parent) throws IOException {
        String tmp;
        synchronized (this) {
            ensureOpen();
            LayerIds.check(id);
            if (exists(id)) {
                throw new AlreadyExistsException("layer " + id + " already exists in " + dirs);
            }
            if (parent != null && !exists(LayerIds.check(parent))) {
                throw new NotFoundException("parent layer " + parent + " of " + id + " does not exist in " + dirs);
            }
            tmp = id + TMP + UUID.randomUUID();
        }
        Path tmpDir = dirs.resolve(tmp);
        try {
            Files.createDirectory(tmpDir);
            TreeCopier.Method used = null;
            if (parent == null) {
                try (RootedFs fs = RootedFs.open(tmpDir)) {
                    fs.chmod("", 0755);
                }
            } else {
                TreeCopier copier = new TreeCopier();
                copier.copy(dirs.resolve(parent), tmpDir);
                used = copier.lastMethod();
            }
            writeParent(id, parent);
            synchronized (this) {
                ensureOpen();
                if (used != null) {
                    copyMethod = used;
                }
                listing = null;
                Files.move(tmpDir, dirs.resolve(id), StandardCopyOption.ATOMIC_MOVE);
                fsyncDir(dirs);
            }
        } catch (IOException | RuntimeException e) {
            try (RootedFs fs = RootedFs.open(dirs)) {
                fs.removeAll(tmp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    @Override
    public synchronized void remove(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        GraphDrivers.requireRemovable(this, refs, id);
        String gone = id + TMP + "removing-" + UUID.randomUUID();
        listing = null;
        Files.move(dirs.resolve(id), dirs.resolve(gone), StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(parents.resolve(id));
        try (RootedFs fs = RootedFs.open(dirs)) {
            fs.removeAll(gone);
        }
    }

    @Override
    public synchronized Path get(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        refs.acquire(id);
        return dirs.resolve(id);
    }

    @Override
    public synchronized void put(String id) {
        ensureOpen();
        refs.release(LayerIds.check(id));
    }

    @Override
    public synchronized boolean exists(String id) {
        ensureOpen();
        return Files.isDirectory(dirs.resolve(LayerIds.check(id)), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public synchronized String parent(String id) throws IOException {
        ensureOpen();
        requireExists(id);
        try {
            String p = Files.readString(parents.resolve(id), StandardCharsets.UTF_8);
            return p.isEmpty() ? null : LayerIds.check(p);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * The layers, sorted, as an unmodifiable list. Listing {@code dir/} costs about a millisecond per thousand
     * layers, so the last listing is kept and reused while one stat of {@code dir/} says it is unchanged (see
     * {@link #RACY}); create and remove here drop it.
     */
    @Override
    public synchronized List<String> layers() throws IOException {
        ensureOpen();
        Map<String, Object> stamp = Files.readAttributes(dirs, "unix:ctime,dev,ino", LinkOption.NOFOLLOW_LINKS);
        Object key = List.of(stamp.get("dev"), stamp.get("ino"));
        FileTime ctime = (FileTime) stamp.get("ctime");
        Listing cached = listing;
        if (cached != null && cached.fileKey().equals(key) && cached.ctime().equals(ctime)) {
            return cached.ids();
        }
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dirs)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (n.indexOf('.') < 0) {
                    out.add(n);
                }
            }
        }
        out.sort(null);
        List<String> ids = Collections.unmodifiableList(out);
        boolean settled = ctime.toInstant().isBefore(Instant.now().minus(RACY));
        listing = settled ? new Listing(key, ctime, ids) : null;
        return ids;
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
        m.put("Copy method", copyMethod == null ? "not used yet" : copyMethod.name().toLowerCase());
        return m;
    }

    /** Layers with outstanding gets (nothing is mounted: they are plain directories). */
    synchronized int inUse() {
        return refs.active().size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        refs.clear(); // nothing to unmount: the layers are plain directories
        if (users != null) {
            users.close();
        }
    }

    @Override
    public String toString() {
        return "VfsDriver[" + home + "]";
    }

    private void requireExists(String id) {
        if (!exists(id)) {
            throw new NotFoundException("layer " + id + " does not exist in " + dirs);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("vfs driver at " + home + " is closed");
        }
    }

    /** Parent record: temp + fsync + rename, so a reader sees the whole id or none. */
    private void writeParent(String id, String parent) throws IOException {
        Path tmp = parents.resolve(id + TMP + UUID.randomUUID());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap((parent == null ? "" : parent).getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, parents.resolve(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDir(parents);
    }

    private static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
