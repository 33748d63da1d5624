package dev.strata.image.content;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.strata.image.DigestMismatchException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.DigestAlgorithm;
import dev.strata.image.digest.VerifyingInputStream;
import dev.strata.image.fs.FileStat;
import dev.strata.image.fs.NoFollowDir;
import dev.strata.image.model.Descriptor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A content-addressed blob store that is an OCI image layout on disk, so skopeo ({@code oci:DIR:NAME}) and umoci
 * ({@code --image DIR:NAME}) read and write it too:
 * <pre>
 * DIR/oci-layout          {"imageLayoutVersion":"1.0.0"}
 * DIR/index.json          the named roots: an OCI index whose entries carry org.opencontainers.image.ref.name
 * DIR/blobs/&lt;alg&gt;/&lt;hex&gt;    verified, read-only (0444) content
 * DIR/ingest/             partial writes, temp files and per-digest lock files (Strata's; other tools ignore it)
 * DIR/index.json.lock     serializes updates of index.json across processes
 * </pre>
 *
 * <p><b>Names.</b> A tag is an {@code index.json} entry whose {@code org.opencontainers.image.ref.name} annotation
 * is the name. Strata stores the full, normalized image reference as the name, e.g.
 * {@code docker.io/library/busybox:latest} or {@code localhost:5000/app@sha256:…}: skopeo and umoci both split
 * {@code DIR:NAME} at the first colon, so such names work with them unchanged ({@code skopeo inspect
 * oci:DIR:docker.io/library/busybox:latest}). Names must follow the ref.name grammar of the OCI image spec
 * (components of {@code [A-Za-z0-9]+} joined by one of {@code - . _ : @ +} or {@code --}, separated by {@code /});
 * anything else is refused with {@link dev.strata.image.InvalidReferenceException}. Docker references that break it
 * (repository components with {@code __} or three or more dashes, tags starting with {@code _} or {@code .}) cannot be
 * stored as a name. See docs/OCI-LAYOUT.md.
 *
 * <p><b>Safety.</b> Blobs appear under {@code blobs/} only after their size and digest were verified (temp file +
 * fsync + atomic rename + directory fsync); index.json is replaced atomically. A process killed at any moment leaves
 * a layout that opens; interrupted writes resume (see {@link ContentWriter}). Digests reach the file system only as
 * parsed {@link Digest} values, and index.json and manifests are read with a 4 MiB cap.
 *
 * <p><b>A layout others can write to.</b> The layout's own entries ({@code blobs/}, {@code blobs/<alg>/},
 * {@code blobs/<alg>/<hex>}, {@code index.json}, {@code oci-layout}, {@code index.json.lock}, {@code ingest/} and
 * all in it) are reached by name from directory fds opened {@code O_NOFOLLOW} ({@link NoFollowDir}) and are never
 * followed: a symlink, FIFO or device planted as one of them is refused with {@link InvalidImageException} naming
 * the entry (the layout does not have the shape the image-layout spec and this class give it), and nothing outside
 * the layout is read or written. Temp files are created {@code O_EXCL|O_NOFOLLOW} and renamed by directory fd.
 * {@link #openReadOnly} opens a layout for reading without creating or locking anything.
 *
 * <p><b>Garbage collection</b> ({@link #gc}) keeps what index.json reaches and deletes the rest. It does not know
 * about writes in flight: a caller that writes blobs and tags them later must not run gc in between (the
 * {@code Store} serializes both under its store lock). Thread-safe; several processes may share a layout.
 */
public final class ContentStore {
    /** Cap for manifests, indexes and configs read with {@link #readSmall(Digest)}. */
    public static final long MAX_MANIFEST_SIZE = LayoutIndex.MAX_JSON_SIZE;

    static final String PART_SUFFIX = ".part";
    static final String LOCK_SUFFIX = ".lock";
    static final String LAYOUT_VERSION = "1.0.0";
    public static final Duration DEFAULT_STALE_INGEST = Duration.ofHours(24);
    private static final int COPY_BUFFER = 256 * 1024;

    static final String OCI_LAYOUT = "oci-layout";
    static final String INDEX = "index.json";
    static final String INDEX_LOCK = "index.json.lock";
    static final String BLOBS = "blobs";
    static final String INGEST = "ingest";
    /** New directories: 0777 less the umask, as {@code mkdir} and skopeo make them. */
    private static final int DIR_MODE = 0777;

    private final Path root;
    private final boolean readOnly;

    private ContentStore(Path root, boolean readOnly) {
        this.root = root;
        this.readOnly = readOnly;
    }

    /**
     * Opens the layout at {@code dir}, creating an empty one if {@code dir} holds none (missing parts of an
     * interrupted creation are completed).
     *
     * @throws InvalidImageException if {@code dir} holds a layout of another version, or one whose oci-layout or
     *                               index.json is unreadable
     */
    public static ContentStore open(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new InvalidImageException(dir + ": not a directory, cannot hold an OCI layout");
        }
        Files.createDirectories(dir);
        ContentStore store = new ContentStore(dir.toRealPath(), false);
        store.init();
        return store;
    }

    /**
     * Opens the existing layout at {@code dir} for reading only: nothing is created, no lock file is taken (readers
     * need none: index.json is replaced by rename and blobs appear by rename, so a read sees a whole file), and every
     * method that would write throws {@link FailedPreconditionException}. For {@code inspect}, {@code unpack},
     * {@code import} and {@code push} of {@code oci:DIR}.
     *
     * @throws NotFoundException     if {@code dir} does not exist or has no oci-layout file
     * @throws InvalidImageException if its oci-layout or index.json is unreadable, of another version, or not a
     *                               regular file
     */
    public static ContentStore openReadOnly(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NotFoundException("not an OCI layout: " + dir + (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)
                    ? " is not a directory" : " does not exist"));
        }
        ContentStore store = new ContentStore(dir.toRealPath(), true);
        try (NoFollowDir r = store.openRoot()) {
            if (r.statRegular(OCI_LAYOUT).isEmpty()) {
                throw new NotFoundException("not an OCI layout: " + dir + " has no oci-layout file");
            }
            store.checkExisting(r);
        }
        return store;
    }

    private void init() throws IOException {
        try (NoFollowDir r = openRoot(); NoFollowDir ingest = r.make(DIR_MODE, INGEST)) {
            if (r.statRegular(OCI_LAYOUT).isPresent()) {
                checkExisting(r);
                r.make(DIR_MODE, BLOBS, DigestAlgorithm.SHA256.ociName()).close();
                return;
            }
            try (FileLocks.Held ignored = FileLocks.lock(r, INDEX_LOCK)) {
                r.make(DIR_MODE, BLOBS, DigestAlgorithm.SHA256.ociName()).close();
                if (r.statRegular(INDEX).isPresent()) {
                    LayoutIndex.read(r, INDEX); // left by a creation that was interrupted, or by another process
                } else {
                    DurableFiles.write(ingest, r, INDEX, LayoutIndex.empty().toBytes());
                }
                if (r.statRegular(OCI_LAYOUT).isEmpty()) {
                    // Written last: its presence says the layout is complete.
                    DurableFiles.write(ingest, r, OCI_LAYOUT, ("{\"imageLayoutVersion\":\"" + LAYOUT_VERSION + "\"}")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
        }
    }

    /** Checks the oci-layout file (present) and index.json of an existing layout. */
    private void checkExisting(NoFollowDir r) throws IOException {
        checkLayoutVersion(r);
        if (r.statRegular(INDEX).isEmpty()) {
            throw new InvalidImageException(root + ": has an oci-layout file but no index.json");
        }
        LayoutIndex.read(r, INDEX);
    }

    private static void checkLayoutVersion(NoFollowDir r) throws IOException {
        Path layout = r.path().resolve(OCI_LAYOUT);
        JsonNode tree = LayoutIndex.readJson(r, OCI_LAYOUT, 64 * 1024);
        JsonNode version = tree.get("imageLayoutVersion");
        if (version == null || !version.isTextual()) {
            throw new InvalidImageException(layout + ": imageLayoutVersion missing or not a string");
        }
        if (!LAYOUT_VERSION.equals(version.textValue())) {
            throw new InvalidImageException(layout + ": unsupported imageLayoutVersion '" + version.textValue()
                    + "' (supported: " + LAYOUT_VERSION + ")");
        }
    }

    /** The layout directory (real path). */
    public Path root() {
        return root;
    }

    /** True if opened with {@link #openReadOnly}. */
    public boolean isReadOnly() {
        return readOnly;
    }

    // ---------------------------------------------------------------- writing

    /**
     * A writer for the blob {@code expected}; blocks while another thread or process writes the same blob.
     *
     * @param expected     the digest the content must have, or null to compute it (sha256; not resumable)
     * @param expectedSize the exact size, or -1 if unknown
     */
    public ContentWriter writer(Digest expected, long expectedSize) throws IOException {
        if (expectedSize < -1) {
            throw new IllegalArgumentException("expectedSize must be >= 0 or -1 (unknown), got " + expectedSize);
        }
        requireWritable("write a blob");
        return ContentWriter.open(this, expected, expectedSize);
    }

    /** A writer that computes the sha256 digest of whatever is written. */
    public ContentWriter writer() throws IOException {
        return writer(null, -1);
    }

    /**
     * Stores the content of {@code in}, reading it to EOF. If the blob exists, {@code in} is not read. If an earlier
     * write of {@code expected} was interrupted, the first {@code offset} bytes of {@code in} are skipped and the rest
     * appended.
     *
     * @param expected the digest, or null to compute it
     * @param size     the exact size, or -1 if unknown
     * @throws DigestMismatchException if the content does not match; nothing is stored
     */
    public BlobInfo write(InputStream in, Digest expected, long size) throws IOException {
        try (ContentWriter w = writer(expected, size)) {
            if (w.alreadyExists()) {
                return w.commit();
            }
            skipFully(in, w.offset());
            byte[] buf = new byte[COPY_BUFFER];
            int n;
            while ((n = in.read(buf)) >= 0) {
                w.write(buf, 0, n);
            }
            return w.commit();
        }
    }

    /** Stores {@code bytes} under their sha256 digest and returns it. */
    public Digest put(byte[] bytes) throws IOException {
        Digest digest = Digest.sha256(bytes);
        try (ContentWriter w = writer(digest, bytes.length)) {
            if (!w.alreadyExists()) {
                // A leftover partial of these bytes is a prefix of them: continue after it.
                w.write(bytes, (int) w.offset(), bytes.length - (int) w.offset());
            }
            return w.commit().digest();
        }
    }

    private static void skipFully(InputStream in, long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(Math.max(n, 1), COPY_BUFFER)];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                return; // shorter than the partial data: the commit reports the mismatch
            }
            left -= r;
        }
    }

    // ---------------------------------------------------------------- reading

    /**
     * Opens a stored blob. With {@code verify}, reading to EOF checks the content against its digest and throws
     * {@link DigestMismatchException} if a stored file was altered.
     *
     * @throws NotFoundException if the blob is not stored
     */
    public InputStream open(Digest digest, boolean verify) throws IOException {
        Optional<NoFollowDir> found = findBlobDir(digest.algorithm());
        if (found.isEmpty()) {
            throw new NotFoundException("blob " + digest + " not found in " + root);
        }
        NoFollowDir.Opened blob;
        try (NoFollowDir dir = found.get()) {
            blob = dir.openRead(digest.encoded());
        } catch (NoSuchFileException e) {
            throw new NotFoundException("blob " + digest + " not found in " + root, e);
        }
        return verify ? new VerifyingInputStream(blob.stream(), digest, blob.stat().size()) : blob.stream();
    }

    /**
     * Reads a whole blob of at most {@code cap} bytes, verified: for manifests, indexes and configs.
     *
     * @throws NotFoundException      if it is not stored
     * @throws InvalidImageException  if it is larger than {@code cap}
     * @throws DigestMismatchException if its content does not match its digest
     */
    public byte[] readSmall(Digest digest, long cap) throws IOException {
        if (cap < 0 || cap > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("cap out of range: " + cap);
        }
        BlobInfo info = info(digest).orElseThrow(() -> new NotFoundException("blob " + digest + " not found in "
                + root));
        if (info.size() > cap) {
            throw new InvalidImageException("blob " + digest + " is " + info.size() + " bytes, over the cap of " + cap
                    + " bytes for manifests and configs");
        }
        try (InputStream in = open(digest, true)) {
            return in.readAllBytes();
        }
    }

    /** {@link #readSmall(Digest, long)} with the {@link #MAX_MANIFEST_SIZE} cap. */
    public byte[] readSmall(Digest digest) throws IOException {
        return readSmall(digest, MAX_MANIFEST_SIZE);
    }

    /**
     * Size and commit time of a stored blob, or empty.
     *
     * @throws InvalidImageException if something other than a regular file (a symlink, a FIFO) has the blob's name
     */
    public Optional<BlobInfo> info(Digest digest) throws IOException {
        Optional<NoFollowDir> found = findBlobDir(digest.algorithm());
        if (found.isEmpty()) {
            return Optional.empty();
        }
        try (NoFollowDir dir = found.get()) {
            return dir.statRegular(digest.encoded()).map(st -> blobInfo(digest, st));
        }
    }

    private static BlobInfo blobInfo(Digest digest, FileStat st) {
        return new BlobInfo(digest, st.size(), st.mtime());
    }

    public boolean exists(Digest digest) throws IOException {
        return info(digest).isPresent();
    }

    /** Deletes a blob, whether referenced or not; true if it existed. */
    public boolean delete(Digest digest) throws IOException {
        requireWritable("delete a blob");
        Optional<NoFollowDir> found = findBlobDir(digest.algorithm());
        if (found.isEmpty()) {
            return false;
        }
        try (NoFollowDir dir = found.get()) {
            return dir.unlink(digest.encoded());
        }
    }

    /** Calls {@code action} for every stored blob, in digest order. Files under blobs/ that are not blobs are skipped. */
    public void walk(Consumer<BlobInfo> action) throws IOException {
        for (BlobInfo info : list()) {
            action.accept(info);
        }
    }

    private List<BlobInfo> list() throws IOException {
        List<BlobInfo> out = new ArrayList<>();
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            Optional<NoFollowDir> found = findBlobDir(alg);
            if (found.isEmpty()) {
                continue;
            }
            try (NoFollowDir dir = found.get()) {
                for (String name : dir.list()) {
                    Optional<Digest> digest = blobName(alg, name);
                    Optional<FileStat> st = digest.isPresent() ? dir.stat(name) : Optional.empty();
                    if (st.isPresent() && st.get().isRegularFile()) { // anything else is junk, not a blob
                        out.add(blobInfo(digest.get(), st.get()));
                    }
                }
            }
        }
        out.sort(Comparator.comparing(BlobInfo::digest));
        return out;
    }

    /** The digest a file under blobs/ALG/ names, if its name is a valid encoding. */
    private static Optional<Digest> blobName(DigestAlgorithm alg, String name) {
        if (name.length() != alg.hexLength()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Digest(alg, name));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- names

    /**
     * Names {@code target} (which must be stored) {@code name} in index.json, replacing any entry of that name.
     *
     * @throws dev.strata.image.InvalidReferenceException if {@code name} breaks the ref.name grammar
     * @throws NotFoundException                           if the target blob is not stored
     */
    public void tag(String name, Descriptor target) throws IOException {
        RefNames.validate(name);
        BlobInfo blob = info(target.digest()).orElseThrow(() -> new NotFoundException("cannot tag " + name + ": "
                + target.digest() + " is not stored in " + root));
        if (blob.size() != target.size()) {
            throw new DigestMismatchException("cannot tag " + name + ": descriptor says " + target.size()
                    + " bytes but " + target.digest() + " is " + blob.size() + " bytes");
        }
        updateIndex("tag", index -> {
            index.remove(name);
            index.add(name, target);
            return true;
        });
    }

    /** Removes the name; true if it existed. The content stays until {@link #gc}. */
    public boolean untag(String name) throws IOException {
        RefNames.validate(name);
        return updateIndex("untag", index -> index.remove(name));
    }

    /** Reads index.json under its lock, applies {@code change} and writes the result if it says it changed. */
    private boolean updateIndex(String op, Predicate<LayoutIndex> change) throws IOException {
        requireWritable(op);
        try (NoFollowDir r = openRoot(); NoFollowDir ingest = r.make(DIR_MODE, INGEST);
             FileLocks.Held ignored = FileLocks.lock(r, INDEX_LOCK)) {
            LayoutIndex index = LayoutIndex.read(r, INDEX);
            if (!change.test(index)) {
                return false;
            }
            DurableFiles.write(ingest, r, INDEX, index.toBytes());
            return true;
        }
    }

    private LayoutIndex readIndex() throws IOException {
        try (NoFollowDir r = openRoot()) {
            return LayoutIndex.read(r, INDEX);
        }
    }

    /**
     * The descriptor named {@code name} (its annotations include the ref.name), or empty.
     *
     * @throws InvalidImageException if index.json names two entries so (another tool wrote it; which is meant is
     *                               unknowable)
     */
    public Optional<Descriptor> resolve(String name) throws IOException {
        RefNames.validate(name);
        List<Descriptor> found = readIndex().named(name);
        if (found.size() > 1) {
            throw new InvalidImageException(root.resolve(INDEX) + ": " + found.size() + " entries are named '" + name + "'");
        }
        return found.stream().findFirst();
    }

    /** Every entry of index.json, named or not, in file order. */
    public List<Descriptor> index() throws IOException {
        return readIndex().descriptors();
    }

    /** The names in index.json, sorted. */
    public List<String> tags() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Descriptor d : index()) {
            String name = d.annotation(Descriptor.REF_NAME_ANNOTATION);
            if (name != null) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    // ---------------------------------------------------------------- garbage collection

    /** {@link #gc(Duration)} removing ingest leftovers older than 24 hours. */
    public GcResult gc() throws IOException {
        return gc(DEFAULT_STALE_INGEST);
    }

    /**
     * Deletes every blob that index.json does not reach (through indexes to manifests, and from manifests to their
     * config, layers and subject), and abandoned ingest files older than {@code staleIngestAfter}.
     *
     * @throws InvalidImageException if a reachable index or manifest cannot be read or parsed; then nothing at all
     *                               was deleted, since what it references is unknown
     */
    public GcResult gc(Duration staleIngestAfter) throws IOException {
        return gc(staleIngestAfter, List.of());
    }

    /**
     * {@link #gc(Duration)} that also keeps {@code alsoReachable} and all they reference: the manifests of images
     * being pulled or imported, not named in index.json yet.
     */
    public GcResult gc(Duration staleIngestAfter, Collection<Descriptor> alsoReachable) throws IOException {
        requireWritable("collect garbage");
        try (NoFollowDir r = openRoot(); NoFollowDir ingest = r.make(DIR_MODE, INGEST);
             FileLocks.Held ignored = FileLocks.lock(r, INDEX_LOCK)) {
            LayoutIndex index = LayoutIndex.read(r, INDEX);
            ArrayNode roots = index.manifests().deepCopy();
            for (Descriptor d : alsoReachable) {
                roots.addObject().put("mediaType", d.mediaType()).put("digest", d.digest().toString())
                        .put("size", d.size());
            }
            Set<Digest> reachable;
            try {
                reachable = new ReferenceWalker(this::readIfStored).reachable(roots, "index.json:manifests");
            } catch (InvalidImageException e) {
                throw new InvalidImageException("garbage collection of " + root + " stopped, nothing was deleted: "
                        + e.getMessage(), e);
            }
            List<Digest> removed = new ArrayList<>();
            long freed = 0;
            for (BlobInfo blob : list()) {
                if (!reachable.contains(blob.digest()) && delete(blob.digest())) {
                    removed.add(blob.digest());
                    freed += blob.size();
                }
            }
            int ingestRemoved = cleanIngest(ingest, Instant.now().minus(staleIngestAfter));
            return new GcResult(reachable.size(), removed, freed, ingestRemoved);
        }
    }

    private Optional<byte[]> readIfStored(Digest digest, long cap) throws IOException {
        if (!exists(digest)) {
            return Optional.empty();
        }
        try {
            return Optional.of(readSmall(digest, cap));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Removes ingest files not modified since {@code cutoff}: temp files, and partial writes whose digest nobody
     * holds locked. Lock files are removed only once their blob is stored: deleting the lock file of a digest that
     * is still to be written could let a writer that already opened it and one that creates it anew run at once.
     */
    private int cleanIngest(NoFollowDir ingest, Instant cutoff) throws IOException {
        int removed = 0;
        for (String name : ingest.list()) {
            Optional<FileStat> st = ingest.stat(name);
            if (st.isEmpty() || !st.get().isRegularFile()) {
                continue; // not ours; removed by name only, never followed
            }
            boolean stale = st.get().mtime().isBefore(cutoff);
            if (name.endsWith(DurableFiles.TEMP_SUFFIX) || (name.startsWith("tmp-") && name.endsWith(PART_SUFFIX))) {
                if (stale && ingest.unlink(name)) {
                    removed++;
                }
            } else if (name.endsWith(PART_SUFFIX)) {
                Optional<Digest> digest = digestOfIngestName(name, PART_SUFFIX);
                if (stale && digest.isPresent()) {
                    Optional<FileLocks.Held> lock = FileLocks.tryLock(ingest, lockName(digest.get()));
                    if (lock.isPresent()) {
                        try (FileLocks.Held held = lock.get()) {
                            if (ingest.unlink(name)) {
                                removed++;
                            }
                        }
                    }
                }
            } else if (name.endsWith(LOCK_SUFFIX)) {
                Optional<Digest> digest = digestOfIngestName(name, LOCK_SUFFIX);
                if (digest.isPresent() && exists(digest.get()) && ingest.unlink(name)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    private static Optional<Digest> digestOfIngestName(String name, String suffix) {
        String hex = name.substring(0, name.length() - suffix.length());
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            Optional<Digest> d = blobName(alg, hex);
            if (d.isPresent()) {
                return d;
            }
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- entries (digests are validated values)

    /** The layout directory, opened without following its last component; entries below are never followed. */
    private NoFollowDir openRoot() throws IOException {
        return NoFollowDir.open(root, what -> new InvalidImageException("OCI layout " + root + ": " + what
                + "; refusing to use it (a layout's own entries are never followed)"));
    }

    /** {@code blobs/<alg>/}, or empty when the layout has none yet. */
    private Optional<NoFollowDir> findBlobDir(DigestAlgorithm alg) throws IOException {
        try (NoFollowDir r = openRoot()) {
            return r.find(BLOBS, alg.ociName());
        }
    }

    /** {@code blobs/<alg>/}, created if missing: where a commit renames a blob to. */
    NoFollowDir makeBlobDir(DigestAlgorithm alg) throws IOException {
        try (NoFollowDir r = openRoot()) {
            return r.make(DIR_MODE, BLOBS, alg.ociName());
        }
    }

    /** {@code ingest/}, created if missing. */
    NoFollowDir openIngest() throws IOException {
        try (NoFollowDir r = openRoot()) {
            return r.make(DIR_MODE, INGEST);
        }
    }

    /** Partial data of a known digest in ingest/; hex lengths differ per algorithm, so the hex alone is unique. */
    static String partName(Digest digest) {
        return digest.encoded() + PART_SUFFIX;
    }

    static String lockName(Digest digest) {
        return digest.encoded() + LOCK_SUFFIX;
    }

    private void requireWritable(String op) {
        if (readOnly) {
            throw new FailedPreconditionException("cannot " + op + " in " + root + ": the layout was opened "
                    + "read-only");
        }
    }

    @Override
    public String toString() {
        return "ContentStore[" + root + "]";
    }
}
