package dev.strata.image.registry;

import dev.strata.image.UnavailableException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.content.ContentWriter;
import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
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
 * <p>What runs at the same time: downloads (up to {@code jobs}), and one apply (the streamed one on its download
 * thread, or one from the content store on this thread). Applies are in chain order because a driver layer is created
 * from its parent's; with a driver whose layers are independent directories (overlay) they could run in parallel,
 * only {@link PreparedLayer#publish} needs the parent published.
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
            for (int i = stored; i < n; i++) {
                Descriptor blob = manifest.layers().get(i);
                BlobOutcome o = done.get(blob.digest());
                if (o == null) {
                    o = await(futures.get(blob.digest()));
                    done.put(blob.digest(), o);
                    outcomes.putIfAbsent(blob.digest(), new Puller.Outcome(o.fetched(), o.bytes()));
                }
                if (o.streamed() != null && o.streamedIndex() == i) {
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
            Throwable t = settle(futures, done, failure);
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error err) {
                throw err;
            }
            throw new IOException(t);
        }
    }

    private static BlobOutcome await(Future<BlobOutcome> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
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
                    o = e.getValue().get();
                } catch (ExecutionException ex) {
                    t = ex.getCause();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    t = ex;
                }
            }
            if (o != null && o.streamed() != null) {
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

    private void applyFromContent(int i, Descriptor blob) throws IOException {
        listener.onEvent(new ProgressEvent.Extracting(blob.digest()));
        store.registerStored(blob, i == 0 ? null : chain.get(i - 1), diffIds.get(i), lease);
    }

    /** On a pool thread: stores the blob, applying it as layer {@code index} on the way when that is next. */
    private BlobOutcome fetch(Descriptor blob, int index) throws IOException {
        if (failed.get()) {
            throw new Puller.Cancelled(blob.digest());
        }
        ContentStore content = store.content();
        boolean next;
        synchronized (this) {
            next = published == index - 1;
        }
        if (next) {
            try (ContentWriter w = content.writer(blob.digest(), blob.size())) {
                if (!w.alreadyExists() && w.offset() == 0) {
                    return stream(blob, index, w);
                }
            }
        }
        Puller.Outcome o = Puller.download(client, repository, content, blob, listener, failed);
        return new BlobOutcome(o.fetched(), o.bytes(), -1, null);
    }

    /** Downloads into {@code w} and applies the same bytes as layer {@code index}; both verified. */
    private BlobOutcome stream(Descriptor blob, int index, ContentWriter w) throws IOException {
        PreparedLayer layer = store.layers().prepare(index == 0 ? null : chain.get(index - 1), diffIds.get(index),
                lease);
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
            try {
                layer.close();
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
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
