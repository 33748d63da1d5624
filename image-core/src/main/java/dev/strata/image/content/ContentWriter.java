package dev.strata.image.content;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.DigestAlgorithm;
import dev.strata.image.digest.Digester;
import dev.strata.image.fs.FileStat;
import dev.strata.image.fs.NoFollowDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;
import java.util.UUID;

/**
 * Writes one blob into a {@link ContentStore}: bytes go to a file under {@code ingest/} while they are counted and
 * hashed; {@link #commit()} syncs the file, checks size and digest, and renames it into {@code blobs/}, read-only.
 * Nothing reaches {@code blobs/} unverified.
 *
 * <p>A writer for a known digest holds that digest's lock (across threads and processes) until it is committed or
 * closed, so concurrent writers of one blob take turns and all but the first find it done. Closing without commit
 * keeps the partial data: the next writer for the digest continues at {@link #offset()} (after re-hashing what is
 * there). A writer created for a blob that already exists is born done: {@link #offset()} is the blob's size,
 * written bytes are ignored and {@link #commit()} just returns the blob. A writer without an expected digest writes to
 * a private temp file and cannot be resumed. Not thread-safe. Always close it (try-with-resources): an unclosed
 * writer keeps the digest locked.
 *
 * <p>All of it happens by name in {@code ingest/} and {@code blobs/<alg>/} held open as directory fds that were
 * opened without following symlinks ({@link NoFollowDir}): a partial file, lock file or blob name planted as a
 * symlink, FIFO or hard link is refused, and the commit is a {@code renameat} between the two fds.
 */
public final class ContentWriter extends OutputStream {
    private static final int BUFFER_SIZE = 256 * 1024;
    private static final int REHASH_CHUNK = 1024 * 1024;

    private enum State { OPEN, DONE, CLOSED }

    private final ContentStore store;
    private final Digest expected;
    private final long expectedSize;
    private final NoFollowDir ingest;
    private final String part;
    private final FileChannel channel;
    private final Digester digester;
    private final ByteBuffer buffer;
    private FileLocks.Held lock;
    private long offset;
    private State state;
    private BlobInfo result;

    private ContentWriter(ContentStore store, Digest expected, long expectedSize, NoFollowDir ingest, String part,
                          FileChannel channel, Digester digester, FileLocks.Held lock, long offset,
                          BlobInfo existing) {
        this.store = store;
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.ingest = ingest;
        this.part = part;
        this.channel = channel;
        this.digester = digester;
        this.lock = lock;
        this.offset = offset;
        this.buffer = channel == null ? null : ByteBuffer.allocate(BUFFER_SIZE);
        this.result = existing;
        this.state = existing != null ? State.DONE : State.OPEN;
    }

    /** Opens (or resumes) the ingest of {@code expected}; blocks while another writer of it is active. */
    static ContentWriter open(ContentStore store, Digest expected, long expectedSize) throws IOException {
        if (expected == null) {
            return openTemp(store, expectedSize);
        }
        Optional<BlobInfo> existing = store.info(expected);
        if (existing.isPresent()) {
            return done(store, expected, existing.get());
        }
        NoFollowDir ingest = store.openIngest();
        FileLocks.Held lock = null;
        FileChannel channel = null;
        try {
            lock = FileLocks.lock(ingest, ContentStore.lockName(expected));
            existing = store.info(expected); // another writer may have finished while we waited
            if (existing.isPresent()) {
                lock.close();
                ingest.close();
                return done(store, expected, existing.get());
            }
            String part = ContentStore.partName(expected);
            Optional<FileStat> left = ingest.statRegular(part);
            if (left.isPresent() && (left.get().mode() & 0200) == 0) {
                // Killed between the chmod and the rename of a commit: writable again, then resumed as usual.
                ingest.chmod(part, 0644);
            }
            channel = ingest.openChannel(part, 0644);
            long have = channel.size();
            if (expectedSize >= 0 && have > expectedSize) {
                channel.truncate(0); // longer than the blob can be: not a prefix of it
                have = 0;
            }
            Digester digester = new Digester(expected.algorithm());
            rehash(channel, have, digester, part);
            channel.position(have);
            return new ContentWriter(store, expected, expectedSize, ingest, part, channel, digester, lock, have,
                    null);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                closeQuietly(channel, e);
            }
            try {
                if (lock != null) {
                    lock.close();
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            ingest.close();
            throw e;
        }
    }

    private static ContentWriter openTemp(ContentStore store, long expectedSize) throws IOException {
        NoFollowDir ingest = store.openIngest();
        try {
            String part = "tmp-" + UUID.randomUUID() + ContentStore.PART_SUFFIX;
            FileChannel channel = ingest.createChannel(part, 0644);
            return new ContentWriter(store, null, expectedSize, ingest, part, channel,
                    new Digester(DigestAlgorithm.SHA256), null, 0, null);
        } catch (IOException | RuntimeException e) {
            ingest.close();
            throw e;
        }
    }

    private static ContentWriter done(ContentStore store, Digest expected, BlobInfo info) {
        return new ContentWriter(store, expected, info.size(), null, null, null, null, null, info.size(), info);
    }

    /** Feeds the partial data already on disk to the digester: resuming must hash the whole blob, not the tail. */
    private static void rehash(FileChannel channel, long length, Digester digester, String part) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(REHASH_CHUNK);
        long pos = 0;
        while (pos < length) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), length - pos));
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException(part + " shrank while being resumed (" + pos + " of " + length + " bytes)");
            }
            buf.flip();
            digester.update(buf);
            pos += n;
        }
    }

    /** The digest this writer must produce, or null when it computes one. */
    public Digest expected() {
        return expected;
    }

    /** Bytes of the blob written so far, including a resumed prefix; a resuming caller sends from here. */
    public long offset() {
        return offset;
    }

    /** True if the blob was already stored when this writer was opened (writes are then ignored). */
    public boolean alreadyExists() {
        return channel == null;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (state == State.CLOSED) {
            throw new IOException("writer for " + describe() + " is closed");
        }
        if (state == State.DONE || len == 0) {
            return;
        }
        if (expectedSize >= 0 && offset + len > expectedSize) {
            fail(new DigestMismatchException("content for " + describe() + " is longer than the expected "
                    + expectedSize + " bytes"));
        }
        digester.update(b, off, len);
        offset += len;
        while (len > 0) {
            int n = Math.min(len, buffer.remaining());
            buffer.put(b, off, n);
            off += n;
            len -= n;
            if (!buffer.hasRemaining()) {
                drain();
            }
        }
    }

    @Override
    public void flush() throws IOException {
        if (state == State.OPEN) {
            drain();
        }
    }

    /**
     * Verifies and stores the blob.
     *
     * @throws DigestMismatchException if the size or digest differs from what was expected; the partial data is
     *                                 deleted and nothing appears under {@code blobs/}
     */
    public BlobInfo commit() throws IOException {
        if (state == State.DONE) {
            return result;
        }
        if (state == State.CLOSED) {
            throw new IOException("writer for " + describe() + " is closed");
        }
        drain();
        channel.force(true);
        if (expectedSize >= 0 && offset != expectedSize) {
            fail(new DigestMismatchException("content for " + describe() + " is " + offset + " bytes, expected "
                    + expectedSize));
        }
        Digest actual = digester.digest();
        if (expected != null && !actual.equals(expected)) {
            fail(new DigestMismatchException("content digest mismatch: expected " + expected + ", got " + actual
                    + " (" + offset + " bytes)"));
        }
        try {
            if (lock == null) {
                lock = FileLocks.lock(ingest, ContentStore.lockName(actual)); // brief: only to order the rename
            }
            Optional<BlobInfo> existing = store.info(actual);
            if (existing.isPresent()) {
                channel.close();
                ingest.unlink(part);
                result = existing.get();
            } else {
                // Read-only before it becomes visible: a blob is never writable under its digest's name.
                ingest.chmod(part, 0444);
                channel.close();
                try (NoFollowDir blobs = store.makeBlobDir(actual.algorithm())) {
                    ingest.rename(part, blobs, actual.encoded());
                    blobs.fsync();
                }
                result = store.info(actual).orElseThrow(() -> new IOException("blob " + actual
                        + " vanished right after commit"));
            }
            // Safe to delete while held: anyone who gets a lock on this digest from now on finds the blob.
            ingest.unlink(ContentStore.lockName(actual));
            state = State.DONE;
            return result;
        } catch (IOException | RuntimeException e) {
            state = State.CLOSED; // the partial data stays for a later resume
            closeQuietly(channel, e);
            throw e;
        } finally {
            try {
                releaseLock();
            } finally {
                ingest.close();
            }
        }
    }

    /** Abandons the write and deletes its partial data (it will not be resumed). */
    public void discard() throws IOException {
        if (state != State.OPEN) {
            state = State.CLOSED;
            return;
        }
        state = State.CLOSED;
        try {
            channel.close();
            ingest.unlink(part);
        } finally {
            try {
                releaseLock();
            } finally {
                ingest.close();
            }
        }
    }

    /**
     * Ends the writer. Without a commit, data written so far stays in {@code ingest/} for a later writer of the same
     * digest to resume (a writer without an expected digest deletes it, it could not be resumed).
     */
    @Override
    public void close() throws IOException {
        if (state != State.OPEN) {
            state = State.CLOSED;
            return;
        }
        if (expected == null) {
            discard();
            return;
        }
        state = State.CLOSED;
        try {
            drain();
        } finally {
            try {
                channel.close();
            } finally {
                try {
                    releaseLock();
                } finally {
                    ingest.close();
                }
            }
        }
    }

    private void drain() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    /** Deletes the partial data, releases the lock and throws {@code e}. */
    private void fail(DigestMismatchException e) throws IOException {
        try {
            discard();
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        throw e;
    }

    private void releaseLock() throws IOException {
        if (lock != null) {
            FileLocks.Held held = lock;
            lock = null;
            held.close();
        }
    }

    private String describe() {
        return expected != null ? expected.toString() : "new blob " + part;
    }

    private static void closeQuietly(FileChannel channel, Exception e) {
        try {
            channel.close();
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
    }
}
