package dev.strata.image.content;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.strata.image.DigestMismatchException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.DigestAlgorithm;
import dev.strata.image.digest.VerifyingInputStream;
import dev.strata.image.model.Descriptor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
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

    private final Path root;
    private final Path blobs;
    private final Path ingest;
    private final Path indexFile;
    private final Path indexLock;

    private ContentStore(Path root) {
        this.root = root;
        this.blobs = root.resolve("blobs");
        this.ingest = root.resolve("ingest");
        this.indexFile = root.resolve("index.json");
        this.indexLock = root.resolve("index.json.lock");
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
        ContentStore store = new ContentStore(dir.toRealPath());
        store.init();
        return store;
    }

    private void init() throws IOException {
        Path layout = root.resolve("oci-layout");
        Files.createDirectories(ingest);
        if (Files.exists(layout, LinkOption.NOFOLLOW_LINKS)) {
            checkLayoutVersion(layout);
            if (!Files.exists(indexFile, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidImageException(root + ": has an oci-layout file but no index.json");
            }
            LayoutIndex.read(indexFile);
            Files.createDirectories(blobs.resolve(DigestAlgorithm.SHA256.ociName()));
            return;
        }
        try (FileLocks.Held ignored = FileLocks.lock(indexLock)) {
            Files.createDirectories(blobs.resolve(DigestAlgorithm.SHA256.ociName()));
            if (Files.exists(indexFile, LinkOption.NOFOLLOW_LINKS)) {
                LayoutIndex.read(indexFile); // left by a creation that was interrupted, or by another process
            } else {
                DurableFiles.write(ingest, indexFile, LayoutIndex.empty().toBytes());
            }
            if (!Files.exists(layout, LinkOption.NOFOLLOW_LINKS)) {
                // Written last: its presence says the layout is complete.
                DurableFiles.write(ingest, layout, ("{\"imageLayoutVersion\":\"" + LAYOUT_VERSION + "\"}")
                        .getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static void checkLayoutVersion(Path layout) throws IOException {
        JsonNode tree = LayoutIndex.readJson(layout, 64 * 1024);
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
        Path path = blobPath(digest);
        InputStream in;
        long size;
        try {
            in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS);
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new NotFoundException("blob " + digest + " not found in " + root, e);
        }
        return verify ? new VerifyingInputStream(in, digest, size) : in;
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

    /** Size and commit time of a stored blob, or empty. */
    public Optional<BlobInfo> info(Digest digest) throws IOException {
        return info(digest, blobPath(digest));
    }

    private static Optional<BlobInfo> info(Digest digest, Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!attrs.isRegularFile()) {
            return Optional.empty();
        }
        return Optional.of(new BlobInfo(digest, attrs.size(), attrs.lastModifiedTime().toInstant()));
    }

    public boolean exists(Digest digest) throws IOException {
        return info(digest).isPresent();
    }

    /** Deletes a blob, whether referenced or not; true if it existed. */
    public boolean delete(Digest digest) throws IOException {
        return Files.deleteIfExists(blobPath(digest));
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
            Path dir = blobs.resolve(alg.ociName());
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    Optional<Digest> digest = blobName(alg, entry.getFileName().toString());
                    if (digest.isPresent()) {
                        info(digest.get(), entry).ifPresent(out::add);
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
        try (FileLocks.Held ignored = FileLocks.lock(indexLock)) {
            LayoutIndex index = LayoutIndex.read(indexFile);
            index.remove(name);
            index.add(name, target);
            DurableFiles.write(ingest, indexFile, index.toBytes());
        }
    }

    /** Removes the name; true if it existed. The content stays until {@link #gc}. */
    public boolean untag(String name) throws IOException {
        RefNames.validate(name);
        try (FileLocks.Held ignored = FileLocks.lock(indexLock)) {
            LayoutIndex index = LayoutIndex.read(indexFile);
            if (!index.remove(name)) {
                return false;
            }
            DurableFiles.write(ingest, indexFile, index.toBytes());
            return true;
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
        List<Descriptor> found = LayoutIndex.read(indexFile).named(name);
        if (found.size() > 1) {
            throw new InvalidImageException(indexFile + ": " + found.size() + " entries are named '" + name + "'");
        }
        return found.stream().findFirst();
    }

    /** Every entry of index.json, named or not, in file order. */
    public List<Descriptor> index() throws IOException {
        return LayoutIndex.read(indexFile).descriptors();
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
        try (FileLocks.Held ignored = FileLocks.lock(indexLock)) {
            LayoutIndex index = LayoutIndex.read(indexFile);
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
            int ingestRemoved = cleanIngest(Instant.now().minus(staleIngestAfter));
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
    private int cleanIngest(Instant cutoff) throws IOException {
        int removed = 0;
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(ingest)) {
            dir.forEach(entries::add);
        }
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                continue;
            }
            if (!attrs.isRegularFile()) {
                continue;
            }
            boolean stale = attrs.lastModifiedTime().toInstant().isBefore(cutoff);
            if (name.endsWith(DurableFiles.TEMP_SUFFIX) || (name.startsWith("tmp-") && name.endsWith(PART_SUFFIX))) {
                if (stale && Files.deleteIfExists(entry)) {
                    removed++;
                }
            } else if (name.endsWith(PART_SUFFIX)) {
                Optional<Digest> digest = digestOfIngestName(name, PART_SUFFIX);
                if (stale && digest.isPresent()) {
                    Optional<FileLocks.Held> lock = FileLocks.tryLock(lockFile(digest.get()));
                    if (lock.isPresent()) {
                        try (FileLocks.Held held = lock.get()) {
                            if (Files.deleteIfExists(entry)) {
                                removed++;
                            }
                        }
                    }
                }
            } else if (name.endsWith(LOCK_SUFFIX)) {
                Optional<Digest> digest = digestOfIngestName(name, LOCK_SUFFIX);
                if (digest.isPresent() && exists(digest.get()) && Files.deleteIfExists(entry)) {
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

    // ---------------------------------------------------------------- paths (digests are validated values)

    Path blobPath(Digest digest) {
        return blobs.resolve(digest.algorithm().ociName()).resolve(digest.encoded());
    }

    Path ingestDir() {
        return ingest;
    }

    /** Partial data of a known digest; hex lengths differ per algorithm, so the hex alone is unique. */
    Path partFile(Digest digest) {
        return ingest.resolve(digest.encoded() + PART_SUFFIX);
    }

    Path lockFile(Digest digest) {
        return ingest.resolve(digest.encoded() + LOCK_SUFFIX);
    }

    @Override
    public String toString() {
        return "ContentStore[" + root + "]";
    }
}
