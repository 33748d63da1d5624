package dev.strata.image.store;

import dev.strata.image.digest.Digest;
import dev.strata.image.layer.ApplyResult;

import java.io.IOException;
import java.io.InputStream;

/**
 * A layer being registered (from {@link LayerStore#prepare}): a new driver layer on top of its parent, not yet
 * visible as a layer record. {@link #apply} it once, then {@link #publish} it; {@link #close} discards it unless it
 * was published. Not thread-safe; one thread at a time.
 */
public final class PreparedLayer implements AutoCloseable {
    private enum State { PREPARED, APPLIED, PUBLISHED, DISCARDED }

    private final LayerStore store;
    private final LayerLease lease;
    private final Digest chainId;
    private final Digest parent;
    private final Digest diffId;
    private final String driverId;
    private final String parentDriverId;
    private State state = State.PREPARED;
    private ApplyResult applied;

    PreparedLayer(LayerStore store, LayerLease lease, Digest chainId, Digest parent, Digest diffId, String driverId,
                  String parentDriverId) {
        this.store = store;
        this.lease = lease;
        this.chainId = chainId;
        this.parent = parent;
        this.diffId = diffId;
        this.driverId = driverId;
        this.parentDriverId = parentDriverId;
    }

    public Digest chainId() {
        return chainId;
    }

    /** The parent's ChainID, or null for a base layer. */
    public Digest parent() {
        return parent;
    }

    public Digest diffId() {
        return diffId;
    }

    String driverId() {
        return driverId;
    }

    String parentDriverId() {
        return parentDriverId;
    }

    LayerLease lease() {
        return lease;
    }

    /**
     * Applies the layer blob {@code blob} (plain, gzip or zstd tar) in one streaming pass, reading it to EOF (not
     * closing it). Holds no store lock.
     *
     * @return the digest, size and DiffID the pass computed; the caller checks the blob digest when it matters
     * @throws dev.strata.image.DigestMismatchException when the DiffID differs from {@link #diffId()}; the layer is
     *                                                  then unusable: close it
     */
    public ApplyResult apply(InputStream blob) throws IOException {
        if (state != State.PREPARED) {
            throw new IllegalStateException("layer " + chainId + " is " + state + ", not prepared");
        }
        state = State.DISCARDED; // until it succeeds: a failed apply cannot be retried on a half-written layer
        applied = store.apply(this, blob);
        state = State.APPLIED;
        return applied;
    }

    /**
     * Records the applied layer; its parent must still be stored (the lease holds it). Returns the record, which is
     * another registration's if the same ChainID was published meanwhile (this one is then discarded). The lease
     * holds the layer from now on.
     */
    public LayerRecord publish() throws IOException {
        if (state != State.APPLIED) {
            throw new IllegalStateException("layer " + chainId + " is " + state + ", not applied");
        }
        LayerRecord r = store.publish(this, applied);
        state = State.PUBLISHED;
        return r;
    }

    /** Discards the driver layer unless it was published. */
    @Override
    public void close() throws IOException {
        if (state == State.PUBLISHED) {
            return;
        }
        state = State.PUBLISHED; // closing twice does nothing
        store.discardPending(this);
    }

    @Override
    public String toString() {
        return "PreparedLayer[" + chainId + " driver id " + driverId + "]";
    }
}
