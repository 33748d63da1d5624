package dev.strata.image.registry;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.UnavailableException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.content.ContentWriter;
import dev.strata.image.digest.Digest;
import dev.strata.image.internal.Failures;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.ManifestDocument;
import dev.strata.image.model.Manifests;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.progress.ProgressListener;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.store.LayerLease;
import dev.strata.image.store.Store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pulls an image from a registry: resolves the reference to one manifest (choosing from an index by platform),
 * stores manifest and config, downloads the missing layer blobs in parallel into the content store, each verified
 * against its digest and size, and then (for {@link #pull}) registers the layers in a {@link Store}, where every
 * DiffID must equal the config's {@code rootfs.diff_ids}.
 *
 * <p>Blobs already in the content store are not downloaded. A pull that is interrupted (killed, network down) keeps
 * the blobs it completed and the partial data of the others in the content store's ingest area; the next pull of an
 * image that needs them continues each partial blob where it stopped (a {@code Range} request), and the digest still
 * covers every byte.
 */
public final class Puller {
    private static final int COPY_BUFFER = 128 * 1024;
    /** A Downloading event at most every this many bytes per blob, plus one at the start and one at the end. */
    static final long EVENT_STEP = 256 * 1024;
    private static final int MAX_INDEX_DEPTH = 8;

    private final Store store;

    public Puller(Store store) {
        this.store = store;
    }

    /**
     * Pulls {@code ref} into the store under the name {@code ref.toString()} (the full, normalized reference).
     *
     * @throws NotFoundException        when the registry has no such image, or an index has no manifest for the
     *                                  platform (the message lists the platforms it has)
     * @throws DigestMismatchException  when a blob or DiffID does not match
     * @throws UnavailableException     when the registry cannot be reached or keeps failing
     */
    public PullResult pull(ImageReference ref, PullOptions options) throws IOException {
        // A driver layer another process removed or replaced between this pull's check and its use (a gc, or a
        // concurrent pull that won the publish of a shared parent) fails the registration with NotFound. The blobs
        // are in the content store by then, so the pull is run again: each attempt reuses what is stored.
        for (int attempt = 1; ; attempt++) {
            try {
                return pullOnce(ref, options);
            } catch (LayerVanished e) {
                if (attempt >= MAX_REGISTRATION_ATTEMPTS) {
                    throw e.getCause();
                }
                LOG.debug("pull of {}: a layer vanished under a concurrent operation, attempt {}", ref, attempt + 1);
            }
        }
    }

    private static final int MAX_REGISTRATION_ATTEMPTS = 3;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Puller.class);

    /** A registration that failed because a layer it used was removed meanwhile; carries the NotFound. */
    private static final class LayerVanished extends RuntimeException {
        LayerVanished(NotFoundException cause) {
            super(cause);
        }

        @Override
        public synchronized NotFoundException getCause() {
            return (NotFoundException) super.getCause();
        }
    }

    private PullResult pullOnce(ImageReference ref, PullOptions options) throws IOException {
        String name = ref.toString();
        Map<Digest, Outcome> outcomes = new LinkedHashMap<>();
        Started s;
        try (LayerLease lease = store.lease()) {
            // The lease protects the manifest and all below it from a gc until the image is named.
            s = start(ref, store.content(), options, manifest -> store.holdContent(manifest, lease));
            s.document().requireKnownLayers(); // before any layer is downloaded to be applied
            StorePull layers = new StorePull(store, s.client(), ref.repository(), s.document(), s.config(), lease,
                    options);
            try {
                layers.run(outcomes);
                store.putImage(name, s.manifest().digest());
            } catch (IOException | RuntimeException | Error e) {
                lease.close(); // first: it protects what this pull registered
                try {
                    store.layers().removeUnused(layers.registered());
                } catch (IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                if (e instanceof NotFoundException nf && nf.getMessage() != null
                        && nf.getMessage().contains(" does not exist in ")) {
                    throw new LayerVanished(nf);
                }
                throw e;
            }
        }
        return s.finish(outcomes).result(ref, name);
    }


    /**
     * Pulls {@code ref} into the OCI image layout {@code layout} (no store, no layer registration) and names the
     * manifest {@code name} in its index.json, or {@code ref.toString()} when {@code name} is null. skopeo and umoci
     * read the result as {@code oci:DIR:NAME}.
     */
    public static PullResult pullToLayout(ImageReference ref, ContentStore layout, String name, PullOptions options)
            throws IOException {
        String tag = name != null ? name : ref.toString();
        Fetched fetched = fetch(ref, layout, options);
        layout.tag(tag, fetched.manifest());
        return fetched.result(ref, tag);
    }

    /** What {@link #fetch} stored. */
    private record Fetched(Descriptor manifest, ImageManifest document, List<Digest> downloaded,
                           List<Digest> alreadyPresent, long bytes) {
        PullResult result(ImageReference ref, String name) {
            return new PullResult(ref, name, manifest, document.config().digest(), document.layers(), downloaded,
                    alreadyPresent, bytes);
        }
    }

    /** Resolves the manifest and stores it, its config and its layer blobs in {@code content}. */
    private static Fetched fetch(ImageReference ref, ContentStore content, PullOptions options) throws IOException {
        Started s = start(ref, content, options, manifest -> { });
        Map<Digest, Descriptor> layers = new LinkedHashMap<>();
        for (Descriptor layer : s.document().layers()) {
            layers.putIfAbsent(layer.digest(), layer); // an image may list one blob twice: fetch it once
        }
        return s.finish(downloadAll(s.client(), ref.repository(), content, List.copyOf(layers.values()), options));
    }

    /** A resolved pull: manifest and config stored, layers to go. */
    private record Started(RegistryClient client, Descriptor manifest, ImageManifest document, ImageConfig config,
                           Outcome configOutcome) {
        Fetched finish(Map<Digest, Outcome> layerOutcomes) {
            List<Digest> downloaded = new ArrayList<>();
            List<Digest> present = new ArrayList<>();
            long bytes = configOutcome.record(document.config().digest(), downloaded, present);
            for (Map.Entry<Digest, Outcome> e : layerOutcomes.entrySet()) {
                bytes += e.getValue().record(e.getKey(), downloaded, present);
            }
            return new Fetched(manifest, document, downloaded, present, bytes);
        }
    }

    /** Called with the manifest's descriptor before the manifest is stored. */
    private interface BeforeStore {
        void accept(Descriptor manifest) throws IOException;
    }

    /** Resolves the manifest and stores it and its config in {@code content}. */
    private static Started start(ImageReference ref, ContentStore content, PullOptions options,
                                 BeforeStore beforeStore) throws IOException {
        RegistryClient client = RegistryClient.create(ref, options.registry());
        String repository = ref.repository();
        ProgressListener listener = options.listener();

        ManifestResponse resp = resolve(client, ref, options);
        ImageManifest manifest = (ImageManifest) resp.document();
        byte[] raw = resp.raw();
        beforeStore.accept(resp.descriptor());
        content.write(new ByteArrayInputStream(raw), resp.digest(), raw.length);
        listener.onEvent(new ProgressEvent.Resolved(ref, resp.digest()));

        Descriptor configBlob = manifest.config();
        if (configBlob.size() > ContentStore.MAX_MANIFEST_SIZE) {
            throw new InvalidImageException(ref + ": config " + configBlob.digest() + " is " + configBlob.size()
                    + " bytes, more than the " + ContentStore.MAX_MANIFEST_SIZE + " allowed");
        }
        Outcome configOutcome = download(client, repository, content, configBlob, listener, new AtomicBoolean());
        ImageConfig config = Manifests.parseConfig(content.readSmall(configBlob.digest()));
        if (config.diffIds().size() != manifest.layers().size()) {
            // Found before gigabytes of layers are fetched for an image that cannot be registered.
            throw new InvalidImageException(ref + ": manifest " + resp.digest() + " lists " + manifest.layers().size()
                    + " layers but its config has " + config.diffIds().size() + " diff_ids");
        }
        return new Started(client, resp.descriptor(), manifest, config, configOutcome);
    }

    /** The single-platform manifest {@code ref} names, following indexes by the wanted platform. */
    private static ManifestResponse resolve(RegistryClient client, ImageReference ref, PullOptions options) {
        ManifestResponse resp = client.getManifest(ref.repository(), ref.reference());
        for (int depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
            ManifestDocument doc = resp.document();
            if (doc instanceof ImageManifest) {
                return resp;
            }
            Descriptor chosen;
            try {
                chosen = ((ImageIndex) doc).select(options.platform());
            } catch (NotFoundException e) {
                throw new NotFoundException(ref + ": " + e.getMessage(), e);
            }
            // By digest: the registry's answer is verified against what the index promised.
            resp = client.getManifest(ref.repository(), chosen.digest().toString());
        }
        throw new InvalidImageException(ref + ": indexes nested more than " + MAX_INDEX_DEPTH + " deep");
    }

    /** Downloads {@code blobs} on at most {@code options.jobs()} threads; waits for all, then reports a failure. */
    private static Map<Digest, Outcome> downloadAll(RegistryClient client, String repository, ContentStore content,
                                                    List<Descriptor> blobs, PullOptions options) throws IOException {
        Map<Digest, Outcome> outcomes = new LinkedHashMap<>();
        if (blobs.isEmpty()) {
            return outcomes;
        }
        AtomicBoolean failed = new AtomicBoolean();
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.jobs(), blobs.size()), r -> {
            Thread t = new Thread(r, "strata-pull-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Map<Digest, Future<Outcome>> futures = new LinkedHashMap<>();
        try {
            Map<Digest, Future<Outcome>> submitted = new HashMap<>();
            // Largest first: the biggest blob, not a late start, bounds the time of the whole pull.
            for (Descriptor blob : blobs.stream().sorted(Comparator.comparingLong(Descriptor::size).reversed())
                    .toList()) {
                submitted.put(blob.digest(), pool.submit(() -> download(client, repository, content, blob,
                        options.listener(), failed)));
            }
            for (Descriptor blob : blobs) {
                futures.put(blob.digest(), submitted.get(blob.digest()));
            }
            Throwable first = null;
            for (Map.Entry<Digest, Future<Outcome>> e : futures.entrySet()) {
                try {
                    outcomes.put(e.getKey(), e.getValue().get());
                } catch (ExecutionException ex) {
                    failed.set(true); // the others stop at their next chunk; their partial data stays for a resume
                    Throwable cause = ex.getCause();
                    if (first == null || first instanceof Cancelled) {
                        first = cause;
                    } else if (!(cause instanceof Cancelled)) {
                        first.addSuppressed(cause);
                    }
                } catch (InterruptedException ex) {
                    failed.set(true);
                    Thread.currentThread().interrupt();
                    throw new UnavailableException("pull from " + client.baseUri() + " interrupted", ex);
                }
            }
            if (first != null) {
                throw Failures.rethrow(first);
            }
            return outcomes;
        } finally {
            pool.shutdown();
        }
    }

    /** Thrown inside a download that stopped because another one failed. */
    static final class Cancelled extends RuntimeException {
        Cancelled(Digest digest) {
            super("download of " + digest + " stopped because another download failed", null, false, false);
        }
    }

    /** Whether a blob was fetched ({@code bytes} received) or already stored. */
    record Outcome(boolean fetched, long bytes) {
        long record(Digest digest, List<Digest> downloaded, List<Digest> present) {
            (fetched ? downloaded : present).add(digest);
            return bytes;
        }
    }

    /**
     * Stores one blob: nothing to do when it exists; else continues a partial ingest from its offset (or starts at
     * 0), and commits, which checks size and digest. A resumed blob that fails verification is fetched once more
     * from the start: the partial data on disk may have been the bad part.
     */
    static Outcome download(RegistryClient client, String repository, ContentStore content, Descriptor blob,
                                    ProgressListener listener, AtomicBoolean failed) throws IOException {
        Digest digest = blob.digest();
        for (int attempt = 0; ; attempt++) {
            try (ContentWriter w = content.writer(digest, blob.size())) {
                if (w.alreadyExists()) {
                    listener.onEvent(new ProgressEvent.AlreadyExists(digest));
                    return new Outcome(false, 0);
                }
                long start = w.offset();
                long received;
                try {
                    received = copy(client, repository, blob, w, listener, failed);
                } catch (DigestMismatchException e) {
                    w.discard(); // more bytes than the blob has: what came is no prefix worth resuming
                    if (client.hasMirrors() && attempt < client.sources().size()) {
                        continue; // a mirror's bad bytes: it is skipped now, the next source is read from 0
                    }
                    throw e;
                }
                listener.onEvent(new ProgressEvent.Verifying(digest));
                try {
                    w.commit();
                } catch (DigestMismatchException e) {
                    if (start > 0 && attempt == 0) {
                        continue; // commit discarded the partial data: the retry starts at 0
                    }
                    throw e;
                }
                listener.onEvent(new ProgressEvent.Done(digest));
                return new Outcome(true, received);
            }
        }
    }

    /** Appends the blob's bytes from the writer's offset on; returns how many were received. */
    private static long copy(RegistryClient client, String repository, Descriptor blob, ContentWriter w,
                             ProgressListener listener, AtomicBoolean failed) throws IOException {
        long position = w.offset();
        long total = blob.size();
        listener.onEvent(new ProgressEvent.Downloading(blob.digest(), position, total));
        if (position >= total) {
            return 0; // a complete partial left by a crash before its commit
        }
        long received = 0;
        long lastEvent = position;
        try (InputStream in = new ResumingBlobStream(client, repository, blob, client.retryPolicy(), position)) {
            byte[] buf = new byte[COPY_BUFFER];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (failed.get()) {
                    throw new Cancelled(blob.digest());
                }
                w.write(buf, 0, n);
                position += n;
                received += n;
                if (position - lastEvent >= EVENT_STEP || position == total) {
                    listener.onEvent(new ProgressEvent.Downloading(blob.digest(), position, total));
                    lastEvent = position;
                }
            }
        }
        return received;
    }
}
