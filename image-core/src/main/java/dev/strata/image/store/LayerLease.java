package dev.strata.image.store;

import dev.strata.image.digest.Digest;
import dev.strata.image.fs.LockFile;
import dev.strata.image.model.Descriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Protects the layers of an image that is not named yet (a pull or import in progress) from {@link LayerStore#prune},
 * {@link LayerStore#remove} and the cleanup a {@link Store#open} in another process does: the layers it holds (and
 * their parents) and the driver layers it is still applying. Layers are referenced by image records, not counted, so
 * a process killed before it names its image leaves no stray reference: its lease dies with it (the file lock on
 * {@code <root>/leases/<id>.lease} is released by the kernel) and what it registered is unreferenced, reused by the
 * next pull or removed by the next gc.
 *
 * <p>Get one from {@link Store#lease()}; close it after the image is named ({@link Store#putImage}). Thread-safe.
 */
public final class LayerLease implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    /** Its flock, on an fd of its own: the writes go through {@link #channel}. */
    private final LockFile lock;
    private final Leases owner;
    private final Set<Digest> held = new LinkedHashSet<>();
    private final Set<String> pending = new LinkedHashSet<>();
    private final Set<Descriptor> content = new LinkedHashSet<>();
    private boolean closed;

    LayerLease(Path file, FileChannel channel, LockFile lock, Leases owner) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.owner = owner;
    }

    /** ChainIDs this lease holds (each protects its parents too). */
    public synchronized Set<Digest> held() {
        return Set.copyOf(held);
    }

    synchronized Set<String> pending() {
        return Set.copyOf(pending);
    }

    /** Manifests (or indexes) whose blobs, and all they reference, no content gc may remove while this lives. */
    public synchronized Set<Descriptor> content() {
        return Set.copyOf(content);
    }

    Path file() {
        return file;
    }

    // The mutators run under the store's exclusive lock, so a reader in another process (which reads leases under
    // the store lock) never sees a half-written file.

    synchronized void hold(Digest chainId) throws IOException {
        if (held.add(chainId)) {
            persist();
        }
    }

    synchronized void holdContent(Descriptor root) throws IOException {
        if (content.add(root)) {
            persist();
        }
    }

    synchronized void addPending(String driverId) throws IOException {
        if (pending.add(driverId)) {
            persist();
        }
    }

    synchronized void removePending(String driverId) throws IOException {
        if (pending.remove(driverId)) {
            persist();
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Rewrites the file in place (not temp + rename: the lock belongs to this inode). No fsync: a lease only matters
     * while its process lives; after a crash the whole file is stale.
     */
    private void persist() throws IOException {
        ensureOpen();
        byte[] text = Leases.encode(held, pending, content).getBytes(StandardCharsets.UTF_8);
        channel.truncate(0);
        ByteBuffer b = ByteBuffer.wrap(text);
        long pos = 0;
        while (b.hasRemaining()) {
            pos += channel.write(b, pos);
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("lease " + file + " is closed");
        }
    }

    /** Ends the protection; layers no image references become removable. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Files.deleteIfExists(file);
            lock.close();
        } finally {
            try {
                channel.close();
            } finally {
                owner.forget(this);
            }
        }
    }

    @Override
    public String toString() {
        return "LayerLease[" + file.getFileName() + "]";
    }
}
