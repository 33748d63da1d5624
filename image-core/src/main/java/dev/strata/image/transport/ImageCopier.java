package dev.strata.image.transport;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.DigestAlgorithm;
import dev.strata.image.digest.Digester;
import dev.strata.image.digest.DigestingInputStream;
import dev.strata.image.digest.VerifyingInputStream;
import dev.strata.image.internal.Failures;
import dev.strata.image.layer.Compression;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.MediaType;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.progress.ProgressListener;

import java.io.BufferedInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one copy engine: an image from any {@link ImageSource} to any {@link ImageDestination}. The root document is
 * resolved (one platform of an index, or all of them), each manifest's blobs are copied in parallel — skipped when the
 * destination has them, mounted when it is another repository of the same registry, else streamed once and verified
 * once against their descriptor — then the manifests of an index, then the root, which the destination names.
 *
 * <p>Layers are re-encoded when asked ({@link CopyOptions#compression()}) or when the destination holds one kind only
 * (a {@code docker save} archive: uncompressed). A re-encoded layer is decompressed from the verified source bytes,
 * its DiffID checked against the config's {@code rootfs.diff_ids}, compressed into a temporary file and sent from
 * there; the manifest is then rewritten as an OCI manifest, so its digest changes while the config (and with it the
 * DiffIDs) stays byte for byte. {@link CopyOptions#preserveDigests()} refuses such a copy before anything is sent.
 */
public final class ImageCopier {
    private static final int BUFFER = 128 * 1024;
    private static final long EVENT_STEP = 1 << 20;
    private static final int MAX_INDEX_DEPTH = 4;

    private final CopyOptions options;
    private final ProgressListener listener;
    private final AtomicInteger copied = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final AtomicInteger mounted = new AtomicInteger();
    private final List<String> notes = new ArrayList<>();

    private ImageCopier(CopyOptions options) {
        this.options = options;
        this.listener = options.listener();
    }

    /** Copies the image {@code source} names to {@code destination}, which names it at the end. */
    public static CopyResult copy(ImageSource source, ImageDestination destination, CopyOptions options)
            throws IOException {
        return new ImageCopier(options).run(source, destination);
    }

    private CopyResult run(ImageSource src, ImageDestination dest) throws IOException {
        Document root = src.root();
        if (src.madeManifest()) {
            if (options.preserveDigests()) {
                throw new FailedPreconditionException(src + " holds no manifest, so one is made and its digest is "
                        + "new: the copy cannot preserve digests");
            }
            notes.add(src + " holds no manifest: wrote a new one, " + root.descriptor().digest()
                    + " (the config and the layers' DiffIDs are the archive's)");
        }
        Document written;
        if (MediaType.isIndex(root.descriptor().mediaType())) {
            written = options.all() ? copyIndex(src, dest, root, 0) : copyManifest(src, dest, choose(src, root));
        } else {
            written = copyManifest(src, dest, root);
        }
        if (!written.descriptor().digest().equals(root.descriptor().digest())
                && MediaType.isIndex(root.descriptor().mediaType()) && options.all()) {
            notes.add("the index was rewritten (" + root.descriptor().digest() + " -> "
                    + written.descriptor().digest() + ") because manifests below it changed");
        }
        dest.commit(written);
        return new CopyResult(root.descriptor(), written.descriptor(), copied.get(), skipped.get(), mounted.get(),
                notes);
    }

    /** The manifest of an index for the options' platform (through nested indexes). */
    private Document choose(ImageSource src, Document index) throws IOException {
        Document d = index;
        for (int depth = 0; MediaType.isIndex(d.descriptor().mediaType()); depth++) {
            if (depth >= MAX_INDEX_DEPTH) {
                throw new InvalidImageException("indexes nested more than " + MAX_INDEX_DEPTH + " deep in " + src);
            }
            ImageIndex parsed = Manifests.parseIndex(d.raw(), d.descriptor().mediaType());
            Descriptor chosen = parsed.select(options.platform());
            d = new Document(chosen, verified(src.manifest(chosen), chosen));
        }
        return d;
    }

    private Document copyIndex(ImageSource src, ImageDestination dest, Document index, int depth)
            throws IOException {
        if (!dest.acceptsIndex()) {
            throw new FailedPreconditionException(dest + " holds single images only: copy one platform (--platform)"
                    + " instead of the whole index (--all)");
        }
        if (depth >= MAX_INDEX_DEPTH) {
            throw new InvalidImageException("indexes nested more than " + MAX_INDEX_DEPTH + " deep in " + src);
        }
        ImageIndex parsed = Manifests.parseIndex(index.raw(), index.descriptor().mediaType());
        List<Descriptor> children = new ArrayList<>();
        boolean changed = false;
        for (Descriptor child : parsed.manifests()) {
            Document doc = new Document(child, verified(src.manifest(child), child));
            Document out = MediaType.isIndex(child.mediaType()) ? copyIndex(src, dest, doc, depth + 1)
                    : copyManifest(src, dest, doc);
            dest.putManifest(out);
            Descriptor d = out.descriptor();
            children.add(new Descriptor(d.mediaType(), d.digest(), d.size(), child.urls(), child.annotations(),
                    child.platform(), child.artifactType()));
            changed |= !d.digest().equals(child.digest());
        }
        if (!changed) {
            return index;
        }
        ImageIndex rewritten = ImageIndex.create(MediaType.OCI_INDEX, children, parsed.annotations());
        return new Document(rewritten.descriptor(), rewritten.raw());
    }

    /** Copies one manifest's config and layers; returns the manifest as the destination will hold it. */
    private Document copyManifest(ImageSource src, ImageDestination dest, Document doc) throws IOException {
        ImageManifest manifest = Manifests.parseManifest(doc.raw(), doc.descriptor().mediaType());
        Compression target = options.compression() != null ? options.compression()
                : dest.requiredLayerCompression().orElse(null);
        List<Descriptor> reencode = new ArrayList<>();
        for (Descriptor layer : manifest.layers()) {
            if (target != null && compressionOf(layer.mediaType()) != target) {
                reencode.add(layer);
            }
        }
        if (!reencode.isEmpty() && options.preserveDigests()) {
            throw new FailedPreconditionException(reencode.size() + " layers of " + doc.descriptor().digest()
                    + " would be re-encoded as " + target.name().toLowerCase(java.util.Locale.ROOT)
                    + ", which changes their digests and the manifest's: the copy cannot preserve digests");
        }
        Path tmp = reencode.isEmpty() ? null : Files.createTempDirectory(options.tmpDir(), "strata-copy-");
        try {
            Map<Digest, Reencoded> made = new LinkedHashMap<>();
            Document out = doc;
            if (!reencode.isEmpty()) {
                ImageConfig config = Manifests.parseConfig(verified(src.blob(manifest.config()),
                        manifest.config()));
                made = reencodeAll(src, manifest, config, reencode, target, tmp);
                List<Descriptor> layers = new ArrayList<>();
                for (Descriptor l : manifest.layers()) {
                    Reencoded r = made.get(l.digest());
                    layers.add(r != null ? r.descriptor() : l);
                }
                Descriptor cfg = manifest.config();
                ImageManifest m = ImageManifest.create(MediaType.OCI_MANIFEST,
                        new Descriptor(MediaType.OCI_CONFIG, cfg.digest(), cfg.size()), layers,
                        manifest.annotations());
                out = new Document(m.descriptor(), m.raw());
                notes.add(reencode.size() + " layers re-encoded as " + target.name().toLowerCase(java.util.Locale.ROOT)
                        + ": manifest " + doc.descriptor().digest() + " -> " + out.descriptor().digest()
                        + " (config and DiffIDs unchanged)");
            }
            dest.prepare(out);
            ImageManifest outManifest = Manifests.parseManifest(out.raw(), out.descriptor().mediaType());
            Map<Digest, Descriptor> blobs = new LinkedHashMap<>();
            blobs.put(outManifest.config().digest(), outManifest.config());
            for (Descriptor l : outManifest.layers()) {
                blobs.putIfAbsent(l.digest(), l);
            }
            Map<Digest, Reencoded> byNewDigest = new LinkedHashMap<>();
            for (Reencoded r : made.values()) {
                byNewDigest.put(r.descriptor().digest(), r);
            }
            copyBlobs(src, dest, List.copyOf(blobs.values()), byNewDigest);
            return out;
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    private void copyBlobs(ImageSource src, ImageDestination dest, List<Descriptor> blobs,
                           Map<Digest, Reencoded> local) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.jobs(), Math.max(1, blobs.size())),
                r -> {
                    Thread t = new Thread(r, "strata-copy");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<Future<?>> futures = new ArrayList<>();
            // Largest first: the biggest blob, not a late start, bounds the time of the whole copy.
            for (Descriptor blob : blobs.stream()
                    .sorted(java.util.Comparator.comparingLong(Descriptor::size).reversed()).toList()) {
                futures.add(pool.submit(() -> {
                    copyBlob(src, dest, blob, local.get(blob.digest()));
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(o -> o.cancel(true));
                    throw Failures.rethrow(e.getCause());
                } catch (InterruptedException e) {
                    futures.forEach(o -> o.cancel(true));
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("copy interrupted");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void copyBlob(ImageSource src, ImageDestination dest, Descriptor blob, Reencoded local)
            throws IOException {
        if (dest.hasBlob(blob)) {
            skipped.incrementAndGet();
            listener.onEvent(new ProgressEvent.AlreadyExists(blob.digest()));
            return;
        }
        if (local == null && src.registryRepository().isPresent()
                && dest.mountBlob(blob, src.registryRepository().get())) {
            mounted.incrementAndGet();
            listener.onEvent(new ProgressEvent.AlreadyExists(blob.digest()));
            return;
        }
        dest.putBlob(blob, () -> {
            InputStream raw = local != null ? Files.newInputStream(local.file()) : src.blob(blob);
            InputStream counted = dev.strata.image.progress.TransferProgress.downloading(raw, blob.digest(),
                    blob.size(), EVENT_STEP, listener);
            return dest.verifiesBlobs() ? counted : new VerifyingInputStream(counted, blob.digest(), blob.size());
        });
        copied.incrementAndGet();
        listener.onEvent(new ProgressEvent.Done(blob.digest()));
    }

    /** A layer re-encoded into a temporary file. */
    private record Reencoded(Descriptor descriptor, Path file) {
    }

    private Map<Digest, Reencoded> reencodeAll(ImageSource src, ImageManifest manifest, ImageConfig config,
                                               List<Descriptor> layers, Compression target, Path tmp)
            throws IOException {
        if (config.diffIds().size() != manifest.layers().size()) {
            throw new InvalidImageException("manifest lists " + manifest.layers().size() + " layers but its config "
                    + config.diffIds().size() + " DiffIDs");
        }
        Map<Digest, Digest> diffIds = new LinkedHashMap<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            diffIds.putIfAbsent(manifest.layers().get(i).digest(), config.diffIds().get(i));
        }
        Map<Digest, Reencoded> out = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.jobs(), layers.size()), r -> {
            Thread t = new Thread(r, "strata-reencode");
            t.setDaemon(true);
            return t;
        });
        try {
            Map<Digest, Future<Reencoded>> futures = new LinkedHashMap<>();
            for (Descriptor l : layers) {
                futures.computeIfAbsent(l.digest(), k -> pool.submit(() ->
                        reencode(src, l, diffIds.get(l.digest()), target, tmp)));
            }
            for (Map.Entry<Digest, Future<Reencoded>> e : futures.entrySet()) {
                try {
                    out.put(e.getKey(), e.getValue().get());
                } catch (ExecutionException ex) {
                    futures.values().forEach(f -> f.cancel(true));
                    throw Failures.rethrow(ex.getCause());
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("copy interrupted");
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    private Reencoded reencode(ImageSource src, Descriptor layer, Digest diffId, Compression target, Path tmp)
            throws IOException {
        listener.onEvent(new ProgressEvent.Extracting(layer.digest()));
        Path file = Files.createTempFile(tmp, "layer-", ".blob");
        Digester written = new Digester(DigestAlgorithm.SHA256);
        try (InputStream verifying = new VerifyingInputStream(src.blob(layer), layer.digest(), layer.size());
             BufferedInputStream buffered = new BufferedInputStream(verifying, BUFFER)) {
            Compression from = Compression.detect(buffered);
            DigestingInputStream plain = new DigestingInputStream(from.decompress(buffered), diffId.algorithm());
            try (OutputStream sink = target.compress(new DigestingFileStream(Files.newOutputStream(file), written),
                    options.compressionLevel())) {
                plain.transferTo(sink);
            }
            buffered.transferTo(OutputStream.nullOutputStream()); // to EOF: the source digest is checked there
            if (!plain.digest().equals(diffId)) {
                throw new DigestMismatchException("layer " + layer.digest() + " decompresses to " + plain.digest()
                        + " but the config lists DiffID " + diffId);
            }
        }
        long size = written.size(); // before digest(), which resets the digester
        Descriptor d = new Descriptor(target.ociLayerMediaType(), written.digest(), size);
        return new Reencoded(d, file);
    }

    /** The compression a layer media type names, or null for one this copy does not know. */
    static Compression compressionOf(String mediaType) {
        if (mediaType.endsWith("+gzip") || mediaType.endsWith(".tar.gzip")) {
            return Compression.GZIP;
        }
        if (mediaType.endsWith("+zstd")) {
            return Compression.ZSTD;
        }
        if (mediaType.endsWith(".tar") || mediaType.endsWith("diff.tar")) {
            return Compression.NONE;
        }
        return null;
    }

    private static byte[] verified(byte[] raw, Descriptor d) {
        Digest actual = d.digest().recompute(raw);
        if (!actual.equals(d.digest()) || raw.length != d.size()) {
            throw new DigestMismatchException(d.mediaType() + " " + d.digest() + ": got " + raw.length
                    + " bytes with digest " + actual);
        }
        return raw;
    }

    private static byte[] verified(InputStream in, Descriptor d) throws IOException {
        try (InputStream v = new VerifyingInputStream(in, d.digest(), d.size())) {
            return v.readAllBytes();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Hashes and counts what is written to a file. */
    private static final class DigestingFileStream extends FilterOutputStream {
        private final Digester digester;

        DigestingFileStream(OutputStream out, Digester digester) {
            super(out);
            this.digester = digester;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            digester.update(b, off, len);
            out.write(b, off, len);
        }
    }
}
