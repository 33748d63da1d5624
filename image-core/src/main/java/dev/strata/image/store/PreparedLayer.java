package dev.strata.image.store;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.digest.Digest;
import dev.strata.image.layer.ApplyResult;

import java.io.IOException;
import java.io.InputStream;

/**
 * A layer being registered (from {@link LayerStore#prepare}): a new driver layer on top of its parent, not yet
 * visible as a layer record. {@link #apply} it once, then {@link #publish} it; {@link #close} discards it unless it
 * was published. Not thread-safe; one thread at a time (but {@link LayerStore#prepareOn} may prepare children on it
 * from another thread while it is applied).
 */
public final class PreparedLayer implements AutoCloseable {
    private enum State { PREPARED, APPLYING, APPLIED, FAILED, PUBLISHED, DISCARDED }

    private final LayerStore store;
    private final LayerLease lease;
    private final Digest chainId;
    private final Digest parent;
    private final Digest diffId;
    private final String driverId;
    private final String parentDriverId;
    /** The unpublished layer this one was prepared on ({@link LayerStore#prepareOn}), or null. */
    private final PreparedLayer parentLayer;
    /** Children prepared on this layer and not closed yet: its driver layer must outlive them. Guarded by this. */
    private int openChildren;
    private volatile State state = State.PREPARED;
    /** Published, but another registration's record won: the driver layer goes once the children are closed. */
    private boolean superseded;
    private volatile boolean closed;
    private ApplyResult applied;

    PreparedLayer(LayerStore store, LayerLease lease, Digest chainId, Digest parent, Digest diffId, String driverId,
                  String parentDriverId, PreparedLayer parentLayer) {
        this.store = store;
        this.lease = lease;
        this.chainId = chainId;
        this.parent = parent;
        this.diffId = diffId;
        this.driverId = driverId;
        this.parentDriverId = parentDriverId;
        this.parentLayer = parentLayer;
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

    synchronized void addChild() {
        if (closed) {
            throw new IllegalStateException("layer " + chainId + " is closed: nothing can be prepared on it");
        }
        openChildren++;
    }

    synchronized void removeChild() {
        openChildren--;
    }

    /**
     * For a publish that lost the race for its ChainID: true, and closed for good, when no child is open, so the
     * caller discards the driver layer now; false when children still sit on it (then {@link #close} discards it
     * after them).
     */
    synchronized boolean claimDiscardAtPublish() {
        if (openChildren > 0) {
            return false;
        }
        closed = true;
        return true;
    }

    /**
     * Whether {@link #publish} found the ChainID already published by another registration and returned that
     * record: this driver layer is then discarded, and children prepared on it cannot be published (prepare them
     * again on the stored layer).
     */
    public boolean superseded() {
        return superseded;
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
        state = State.APPLYING;
        try {
            applied = store.apply(this, blob);
        } catch (IOException | RuntimeException | Error e) {
            state = State.FAILED; // a failed apply cannot be retried on a half-written layer: close it
            throw e;
        }
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
        superseded = !r.driverId().equals(driverId);
        state = State.PUBLISHED;
        if (closed) { // superseded, and publish discarded it already
            releaseParent();
        }
        return r;
    }

    /**
     * Discards the driver layer unless it was published (or, superseded, discards it now). Children prepared on
     * this layer must be closed first.
     *
     * @throws FailedPreconditionException when a child prepared on this layer is still open
     */
    @Override
    public void close() throws IOException {
        boolean discard;
        synchronized (this) {
            if (closed) {
                return;
            }
            discard = state != State.PUBLISHED || superseded;
            if (discard && openChildren > 0) {
                throw new FailedPreconditionException("layer " + chainId + " still has " + openChildren
                        + " unclosed layers prepared on it: close them first");
            }
            closed = true; // closing twice does nothing
        }
        state = state == State.PUBLISHED ? State.PUBLISHED : State.DISCARDED;
        try {
            if (discard) {
                store.discardPending(this);
            }
        } finally {
            releaseParent();
        }
    }

    private void releaseParent() {
        if (parentLayer != null) {
            parentLayer.removeChild();
        }
    }

    @Override
    public String toString() {
        return "PreparedLayer[" + chainId + " driver id " + driverId + "]";
    }
}
