package dev.strata.image.registry;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.UnavailableException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.content.ContentWriter;
import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
import dev.strata.image.internal.Failures;
import dev.strata.image.layer.ApplyResult;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.progress.ProgressListener;
import dev.strata.image.store.LayerLease;
import dev.strata.image.store.PreparedLayer;
import dev.strata.image.store.Store;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The layer part of a pull into a {@link Store}: layers whose ChainID is stored are not downloaded at all; the
 * others download on a bounded pool while this thread registers them in chain order, each as soon as its blob is
 * committed and its parent published. A download that starts when its layer is next in chain order is applied while
 * it downloads: the verified bytes go to the content store and, in the same pass, into the layer.
 *
 * <p>What runs at the same time depends on the driver. When a driver layer is created from its parent's content
 * (vfs), applies run one at a time in chain order: the streamed one on its download thread, or one from the content
 * store on this thread. When layers are independent directories (overlay, see
 * {@link dev.strata.image.store.LayerStore#appliesLayersIndependently}), this thread prepares every missing layer up
 * front, each on the one below it, and every download applies its blob as it arrives — up to {@code jobs} layers of
 * one image at once; this thread only publishes them in chain order. If a layer turns out to have been published by
 * a concurrent registration first, the layers prepared above it are discarded and registered again, in order, from
 * the content store.
 */
final class StorePull {
    private final Store store;
    private final RegistryClient client;
    private final String repository;
    private final ImageManifest manifest;
    private final List<Digest> diffIds;
    private final List<Digest> chain;
    private final LayerLease lease;
    private final PullOptions options;
    private final ProgressListener listener;
    private final AtomicBoolean failed = new AtomicBoolean();
    /** Index of the last layer published (stored prefix included); a download of the next one may stream. */
    private int published;
    private final List<Digest> registered = new ArrayList<>();
    /** Whether layers are prepared up front and applied as their blobs arrive (see the class comment). */
    private volatile boolean parallel;
    /** With {@link #parallel}: layer i, prepared by this thread, awaited by the download that applies it. */
    private final List<CompletableFuture<PreparedLayer>> prepared = new ArrayList<>();
    /** Layers from this index on were prepared up front and discarded (see {@link #restartSequentially}). */
    private int discardedFrom = Integer.MAX_VALUE;

    StorePull(Store store, RegistryClient client, String repository, ImageManifest manifest, ImageConfig config,
              LayerLease lease, PullOptions options) {
        this.store = store;
        this.client = client;
        this.repository = repository;
        this.manifest = manifest;
        this.diffIds = config.diffIds();
        this.chain = ChainId.all(diffIds);
        this.lease = lease;
        this.options = options;
        this.listener = options.listener();
    }

    /** Outcome of one blob: fetched or present, and the layer applied while it downloaded, if it was. */
    record BlobOutcome(boolean fetched, long bytes, int streamedIndex, PreparedLayer streamed) {
    }

    /** The ChainIDs this pull published (for the caller's cleanup on failure). */
    List<Digest> registered() {
        return registered;
    }

    /**
     * Registers every layer; blob outcomes (downloaded or present) are added to {@code outcomes} in first-use order.
     */
    void run(Map<Digest, Puller.Outcome> outcomes) throws IOException {
        int n = manifest.layers().size();
        int stored = store.holdStoredPrefix(chain, lease);
        published = stored - 1;
        Map<Digest, Integer> firstUse = new LinkedHashMap<>();
        for (int i = stored; i < n; i++) {
            firstUse.putIfAbsent(manifest.layers().get(i).digest(), i);
        }
        for (int i = 0; i < stored; i++) {
            Digest d = manifest.layers().get(i).digest();
            if (!firstUse.containsKey(d) && !outcomes.containsKey(d)) {
                listener.onEvent(new ProgressEvent.AlreadyExists(d)); // its ChainID is stored: not even looked up
                outcomes.put(d, new Puller.Outcome(false, 0));
            }
        }
        if (firstUse.isEmpty()) {
            return;
        }
        parallel = store.layers().appliesLayersIndependently();
        for (int i = 0; i < n; i++) {
            prepared.add(new CompletableFuture<>());
        }
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.jobs(), firstUse.size()), r -> {
            Thread t = new Thread(r, "strata-pull-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Map<Digest, Future<BlobOutcome>> futures = new LinkedHashMap<>();
        Map<Digest, BlobOutcome> done = new HashMap<>();
        Throwable failure = null;
        try {
            for (Map.Entry<Digest, Integer> e : firstUse.entrySet()) {
                Descriptor blob = manifest.layers().get(e.getValue());
                int index = e.getValue();
                futures.put(blob.digest(), pool.submit(() -> fetch(blob, index)));
            }
            if (parallel) {
                prepareAll(stored, n);
            }
            for (int i = stored; i < n; i++) {
                Descriptor blob = manifest.layers().get(i);
                BlobOutcome o = done.get(blob.digest());
                if (o == null) {
                    o = await(futures.get(blob.digest()));
                    done.put(blob.digest(), o);
                    outcomes.putIfAbsent(blob.digest(), new Puller.Outcome(o.fetched(), o.bytes()));
                }
                boolean streamedHere = o.streamed() != null && o.streamedIndex() == i && i < discardedFrom;
                if (parallel) {
                    PreparedLayer layer = preparedLayer(i);
                    if (!streamedHere) {
                        applyFromContentInto(layer, blob);
                    }
                    layer.publish();
                    if (layer.superseded()) {
                        restartSequentially(i, futures);
                    }
                } else if (streamedHere) {
                    try (PreparedLayer layer = o.streamed()) {
                        layer.publish();
                    }
                } else {
                    applyFromContent(i, blob);
                }
                registered.add(chain.get(i));
                synchronized (this) {
                    published = i;
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            failed.set(true); // the other downloads stop at their next chunk; partial data stays for a resume
        } finally {
            pool.shutdown();
        }
        if (failure != null) {
            for (CompletableFuture<PreparedLayer> f : prepared) {
                f.completeExceptionally(failure); // no download may wait for a layer that will not be prepared
            }
            Throwable t = settle(futures, done, failure);
            t = closePrepared(stored, t);
            throw Failures.rethrow(t);
        }
    }

    /** The result of {@code f}, or what it threw, as thrown here. */
    private static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw Failures.rethrow(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("pull interrupted", e);
        }
    }

    /**
     * After a failure: waits for every download (none may still apply into a layer), discards layers applied but not
     * published, and returns the error to throw: the first that is not a mere cancellation.
     */
    private Throwable settle(Map<Digest, Future<BlobOutcome>> futures, Map<Digest, BlobOutcome> done,
                             Throwable failure) {
        Throwable first = failure;
        for (Map.Entry<Digest, Future<BlobOutcome>> e : futures.entrySet()) {
            BlobOutcome o = done.get(e.getKey());
            Throwable t = null;
            if (o == null) {
                try {
                    o = getUninterruptibly(e.getValue());
                } catch (ExecutionException ex) {
                    t = ex.getCause();
                }
            }
            if (o != null && o.streamed() != null && !parallel) {
                try {
                    o.streamed().close(); // no-op when published
                } catch (IOException | RuntimeException ex) {
                    t = ex;
                }
            }
            if (t != null && t != first) {
                if (first instanceof Puller.Cancelled && !(t instanceof Puller.Cancelled)) {
                    t.addSuppressed(first);
                    first = t;
                } else if (!(t instanceof Puller.Cancelled)) {
                    first.addSuppressed(t);
                }
            }
        }
        return first;
    }

    /**
     * Prepares layers {@code from} to {@code n - 1}, each on the one below it (the first on the stored prefix), and
     * hands each to the download waiting for it. A failure fails the waiting downloads of that layer and above.
     */
    private void prepareAll(int from, int n) throws IOException {
        PreparedLayer below = null;
        for (int i = from; i < n; i++) {
            try {
                below = below == null
                        ? store.layers().prepare(i == 0 ? null : chain.get(i - 1), diffIds.get(i), lease)
                        : store.layers().prepareOn(below, diffIds.get(i));
                prepared.get(i).complete(below);
            } catch (IOException | RuntimeException | Error e) {
                for (int j = i; j < n; j++) {
                    prepared.get(j).completeExceptionally(e);
                }
                throw e;
            }
        }
    }

    /** Layer {@code i} as {@link #prepareAll} made it, waiting for it if need be. */
    private PreparedLayer preparedLayer(int i) throws IOException {
        return await(prepared.get(i));
    }

    /**
     * Layer {@code i} was published by a concurrent registration first, so the layers prepared above it sit on a
     * driver layer that is going away: waits for the downloads still applying into them, discards them (top
     * first) and the superseded one, and registers the rest in order from the content store.
     */
    private void restartSequentially(int i, Map<Digest, Future<BlobOutcome>> futures) throws IOException {
        for (Future<BlobOutcome> f : futures.values()) {
            try {
                f.get(); // failures are reported when the loop reaches that layer
            } catch (ExecutionException e) {
                // see above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException("pull interrupted", e);
            }
        }
        parallel = false;
        discardedFrom = i + 1;
        Throwable t = closePrepared(i, null);
        if (t != null) {
            throw Failures.rethrow(t);
        }
    }

    /**
     * Closes the layers prepared from index {@code from} on, top first (a layer cannot go before those prepared on
     * it); published ones stay. Returns {@code failure} with any error of this added, or the first error if
     * {@code failure} is null.
     */
    private Throwable closePrepared(int from, Throwable failure) {
        Throwable first = failure;
        for (int j = prepared.size() - 1; j >= from; j--) {
            CompletableFuture<PreparedLayer> f = prepared.get(j);
            if (!f.isDone() || f.isCompletedExceptionally()) {
                continue;
            }
            try {
                f.join().close();
            } catch (IOException | RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        return first;
    }

    /** Applies the stored blob into a layer prepared up front (its download did not stream into it). */
    private void applyFromContentInto(PreparedLayer layer, Descriptor blob) throws IOException {
        listener.onEvent(new ProgressEvent.Extracting(blob.digest()));
        try (InputStream in = Store.openForApply(store.content(), blob)) {
            Store.checkBlob(blob, layer.apply(in));
        }
    }

    /**
     * Waits for {@code f} even when interrupted (and interrupts again afterwards): cleanup must not remove a layer
     * that a download is still applying into. The downloads stop soon, at their next chunk, once {@link #failed} is
     * set.
     */
    private static <T> T getUninterruptibly(Future<T> f) throws ExecutionException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void applyFromContent(int i, Descriptor blob) throws IOException {
        listener.onEvent(new ProgressEvent.Extracting(blob.digest()));
        store.registerStored(blob, i == 0 ? null : chain.get(i - 1), diffIds.get(i), lease);
    }

    /**
     * On a pool thread: stores the blob, applying it as layer {@code index} on the way when that is next (or, with
     * layers prepared up front, always: streamed as it downloads, or from the content store when it was there).
     */
    private BlobOutcome fetch(Descriptor blob, int index) throws IOException {
        if (failed.get()) {
            throw new Puller.Cancelled(blob.digest());
        }
        ContentStore content = store.content();
        boolean next;
        synchronized (this) {
            next = parallel || published == index - 1;
        }
        // With registries.conf mirrors a blob may need a second source after its bytes were applied: it goes to the
        // content store first (Puller.download reads the next source on a mismatch), and is applied from there.
        if (next && !client.hasMirrors()) {
            try (ContentWriter w = content.writer(blob.digest(), blob.size())) {
                if (!w.alreadyExists() && w.offset() == 0) {
                    return parallel ? stream(blob, index, w, preparedLayer(index)) : stream(blob, index, w, null);
                }
            }
        }
        Puller.Outcome o = Puller.download(client, repository, content, blob, listener, failed);
        if (parallel) {
            // Already stored, or resumed from a partial download: applied here too, alongside the others.
            PreparedLayer layer = preparedLayer(index);
            applyFromContentInto(layer, blob);
            return new BlobOutcome(o.fetched(), o.bytes(), index, layer);
        }
        return new BlobOutcome(o.fetched(), o.bytes(), -1, null);
    }

    /**
     * Downloads into {@code w} and applies the same bytes as layer {@code index}; both verified. Into
     * {@code preparedUpFront} when given (closed by the pull's cleanup, in chain order), else into a layer prepared
     * here on the published parent (closed here on failure).
     */
    private BlobOutcome stream(Descriptor blob, int index, ContentWriter w, PreparedLayer preparedUpFront)
            throws IOException {
        PreparedLayer layer = preparedUpFront != null ? preparedUpFront
                : store.layers().prepare(index == 0 ? null : chain.get(index - 1), diffIds.get(index), lease);
        try {
            listener.onEvent(new ProgressEvent.Extracting(blob.digest()));
            listener.onEvent(new ProgressEvent.Downloading(blob.digest(), 0, blob.size()));
            ApplyResult applied;
            try (Tee tee = new Tee(new ResumingBlobStream(client, repository, blob, client.retryPolicy(), 0), w, blob)) {
                try {
                    applied = layer.apply(tee);
                    tee.drain();
                } catch (IOException | RuntimeException e) {
                    if (tee.sourceFailure != null) { // the network, not the layer: partial data stays for a resume
                        if (tee.sourceFailure != e) {
                            tee.sourceFailure.addSuppressed(e);
                        }
                        if (tee.sourceFailure instanceof DigestMismatchException) {
                            w.discard(); // more bytes than the blob has: no prefix worth resuming
                        }
                        if (tee.sourceFailure instanceof IOException io) {
                            throw io;
                        }
                        throw (RuntimeException) tee.sourceFailure;
                    }
                    // The layer failed: a corrupt download looks just like a bad layer, so finish the blob and let
                    // its digest tell which.
                    try {
                        tee.drain();
                        w.commit();
                    } catch (IOException | RuntimeException verify) {
                        verify.addSuppressed(e);
                        throw verify;
                    }
                    throw e;
                }
                listener.onEvent(new ProgressEvent.Verifying(blob.digest()));
                w.commit();
                Store.checkBlob(blob, applied);
                listener.onEvent(new ProgressEvent.Done(blob.digest()));
                return new BlobOutcome(true, tee.received, index, layer);
            }
        } catch (IOException | RuntimeException | Error e) {
            if (preparedUpFront == null) {
                try {
                    layer.close();
                } catch (IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    /**
     * The registry's bytes, copied to the content writer as the applier reads them. Synchronized: the applier reads
     * on its decoder thread, and a failed apply does not wait forever for that thread before {@link #drain} runs.
     */
    private final class Tee extends InputStream {
        private final InputStream source;
        private final ContentWriter writer;
        private final Descriptor blob;
        private long received;
        private long lastEvent;
        /** What reading the registry threw (IOException or an unchecked StrataException), if anything. */
        Exception sourceFailure;

        Tee(InputStream source, ContentWriter writer, Descriptor blob) {
            this.source = source;
            this.writer = writer;
            this.blob = blob;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (failed.get()) {
                throw new Puller.Cancelled(blob.digest());
            }
            int n;
            try {
                n = source.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                sourceFailure = e;
                throw e;
            }
            if (n > 0) {
                writer.write(b, off, n);
                received += n;
                if (received - lastEvent >= Puller.EVENT_STEP || received == blob.size()) {
                    listener.onEvent(new ProgressEvent.Downloading(blob.digest(), received, blob.size()));
                    lastEvent = received;
                }
            }
            return n;
        }

        synchronized void drain() throws IOException {
            byte[] buf = new byte[64 * 1024];
            while (read(buf, 0, buf.length) >= 0) {
                // to the writer
            }
        }

        @Override
        public void close() throws IOException {
            source.close();
        }
    }
}
