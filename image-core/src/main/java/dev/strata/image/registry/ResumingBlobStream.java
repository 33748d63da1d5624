package dev.strata.image.registry;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.UnavailableException;
import dev.strata.image.model.Descriptor;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

/**
 * A blob's bytes that survive broken connections: when a read fails, or the stream ends before the descriptor's
 * size, the blob is reopened with a {@code Range} from the byte reached. A body longer than the size is refused
 * at its first extra byte ({@link DigestMismatchException}). Verification is left to the wrapping
 * {@link dev.strata.image.digest.VerifyingInputStream}, which therefore sees every byte exactly once.
 *
 * <p>With registries.conf mirrors the sources are the client's mirrors, then its primary: a source that cannot be
 * opened, or keeps breaking, is skipped for the next one (from the byte reached). A stream that starts at byte 0
 * hashes what it passes on while mirrors are involved, and a mirror whose bytes do not hash to the digest is never
 * accepted: the stream throws {@link DigestMismatchException} and the client skips that mirror for the blob from
 * then on, so the caller's next attempt (which must start again from byte 0) reads the next source.
 */
final class ResumingBlobStream extends InputStream {
    private final RegistryClient client;
    private final String repository;
    private final Descriptor blob;
    private final RetryPolicy policy;
    private InputStream current;
    private long position;
    private int resumes;
    private boolean closed;
    private final java.util.List<RegistryClient> sources;
    private int source;
    private final java.security.MessageDigest hash;

    ResumingBlobStream(RegistryClient client, String repository, Descriptor blob, RetryPolicy policy) {
        this(client, repository, blob, policy, 0);
    }

    /** The blob's bytes from {@code start} on: the continuation of a partial download kept on disk. */
    ResumingBlobStream(RegistryClient client, String repository, Descriptor blob, RetryPolicy policy, long start) {
        if (start < 0 || start > blob.size()) {
            throw new IllegalArgumentException("start " + start + " outside blob " + blob.digest() + " of "
                    + blob.size() + " bytes");
        }
        this.client = client;
        this.repository = repository;
        this.blob = blob;
        this.policy = policy;
        this.position = start;
        this.sources = client.sources().stream().filter(c -> !c.isMirror() || !client.mismatched(c, blob.digest()))
                .toList();
        this.hash = start == 0 && client.hasMirrors() ? blob.digest().algorithm().newMessageDigest() : null;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (true) {
            RegistryClient at = sources.get(source);
            if (current == null) {
                try {
                    current = at.openBlobHere(repository, blob, position);
                } catch (dev.strata.image.StrataException e) {
                    if (!at.isMirror() || e.kind() == dev.strata.image.ErrorKind.INVALID_ARGUMENT) {
                        throw e;
                    }
                    client.skipped(at, "to serve blob " + blob.digest(), e);
                    source++;
                    continue;
                }
            }
            IOException failure;
            try {
                // One byte past the descriptor's size is enough to know that the registry sends too much: an
                // endless body is never read further.
                int n = current.read(b, off, (int) Math.min(len, blob.size() + 1 - position));
                if (n > 0) {
                    position += n;
                    if (position > blob.size()) {
                        closeCurrent();
                        if (at.isMirror()) {
                            client.markMismatched(at, blob.digest());
                        }
                        throw new DigestMismatchException("blob " + blob.digest() + " from "
                                + (at.isMirror() ? "mirror " : "") + at.baseUri().getAuthority()
                                + " is longer than the " + blob.size() + " bytes its descriptor lists");
                    }
                    if (hash != null) {
                        hash.update(b, off, n);
                    }
                    return n;
                }
                if (n < 0 && position >= blob.size()) {
                    if (hash != null && at.isMirror()) {
                        dev.strata.image.digest.Digest got = dev.strata.image.digest.Digest.of(
                                blob.digest().algorithm(), hash.digest());
                        if (!got.equals(blob.digest())) {
                            closeCurrent();
                            client.markMismatched(at, blob.digest());
                            throw new DigestMismatchException("blob " + blob.digest() + " from mirror "
                                    + at.baseUri().getAuthority() + " hashes to " + got + ": not used; the next "
                                    + "attempt reads the next source");
                        }
                    }
                    return -1;
                }
                failure = new IOException("connection ended at byte " + position + " of " + blob.size());
            } catch (IOException e) {
                failure = e;
            }
            closeCurrent();
            resumes++;
            if (!policy.canRetry(resumes) && at.isMirror()) {
                client.skipped(at, "to serve blob " + blob.digest(), new UnavailableException("failed at byte "
                        + position + " after " + resumes + " attempts: " + StalledException.describe(failure)));
                source++;
                resumes = 0;
                continue;
            }
            if (!policy.canRetry(resumes)) {
                throw new UnavailableException("download of " + blob.digest() + " from "
                        + at.baseUri().getAuthority() + " failed at byte " + position + " of " + blob.size()
                        + " after " + resumes + " attempts: " + StalledException.describe(failure), failure);
            }
            try {
                Thread.sleep(policy.delay(resumes, null, Instant.now()).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException("download of " + blob.digest() + " interrupted", e);
            }
        }
    }

    /** Byte offset reached so far. */
    long position() {
        return position;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        closeCurrent();
    }

    private void closeCurrent() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // the connection is dropped either way
            }
            current = null;
        }
    }
}
