package dev.strata.image.progress;

import dev.strata.image.digest.Digest;
import dev.strata.image.reference.ImageReference;

import java.util.Objects;

/**
 * What happened to an image or one of its blobs during a pull. Per blob the order is either {@link AlreadyExists},
 * or {@link Downloading}… then {@link Verifying} then {@link Done}; layers are later {@link Extracting} while they
 * are registered in a store.
 */
public sealed interface ProgressEvent {

    /** The reference was resolved to the manifest {@code manifestDigest} (after choosing a platform from an index). */
    record Resolved(ImageReference reference, Digest manifestDigest) implements ProgressEvent {
        public Resolved {
            Objects.requireNonNull(reference, "reference");
            Objects.requireNonNull(manifestDigest, "manifestDigest");
        }
    }

    /** {@code bytes} of the {@code total} bytes of blob {@code digest} are stored (a resumed prefix included). */
    record Downloading(Digest digest, long bytes, long total) implements ProgressEvent {
        public Downloading {
            Objects.requireNonNull(digest, "digest");
        }
    }

    /** {@code bytes} of the {@code total} bytes of blob {@code digest} are sent (a push). */
    record Uploading(Digest digest, long bytes, long total) implements ProgressEvent {
        public Uploading {
            Objects.requireNonNull(digest, "digest");
        }
    }

    /** All bytes of the blob arrived; its size and digest are being checked. */
    record Verifying(Digest digest) implements ProgressEvent {
        public Verifying {
            Objects.requireNonNull(digest, "digest");
        }
    }

    /** The layer blob is being applied into the store (registered by ChainID). */
    record Extracting(Digest digest) implements ProgressEvent {
        public Extracting {
            Objects.requireNonNull(digest, "digest");
        }
    }

    /** The blob is stored and verified. */
    record Done(Digest digest) implements ProgressEvent {
        public Done {
            Objects.requireNonNull(digest, "digest");
        }
    }

    /** The blob was already stored: nothing was downloaded. */
    record AlreadyExists(Digest digest) implements ProgressEvent {
        public AlreadyExists {
            Objects.requireNonNull(digest, "digest");
        }
    }

    /**
     * Something the caller may want to show that did not stop the operation: a registries.conf mirror that failed
     * and was skipped for the next source.
     */
    record Warning(String message) implements ProgressEvent {
        public Warning {
            Objects.requireNonNull(message, "message");
        }
    }

    /** The blob the event is about, or null for {@link Resolved}. */
    default Digest digest() {
        return null;
    }
}
