package dev.strata.image.registry;

import dev.strata.image.InvalidImageException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.ManifestDocument;
import dev.strata.image.model.Manifests;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.progress.ProgressListener;
import dev.strata.image.reference.ImageReference;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Pushes an image from a content store (the store's, or any OCI layout) to a registry: blobs first (each skipped
 * when the registry already has it), then child manifests by digest, then the root manifest or index under the
 * destination's tag. Blobs are verified against their digest as they are read, so a corrupted local blob fails the
 * push instead of being published.
 */
public final class Pusher {
    private static final int MAX_DEPTH = 8;

    private final RegistryClient client;
    private final ProgressListener listener;
    private int blobsSent;
    private int blobsSkipped;

    private Pusher(RegistryClient client, ProgressListener listener) {
        this.client = client;
        this.listener = listener;
    }

    /** What a push did. */
    public record PushResult(ImageReference destination, Digest digest, int blobsSent, int blobsSkipped) {
    }

    /**
     * Pushes the manifest or index {@code root} of {@code source} to {@code destination}. The destination's tag
     * names it in the registry (its digest, when the reference has one, must equal {@code root}'s).
     */
    public static PushResult push(ContentStore source, Descriptor root, ImageReference destination,
                                  RegistryOptions options, ProgressListener listener) {
        if (destination.digest() != null && !destination.digest().equals(root.digest())) {
            throw new InvalidImageException("destination " + destination + " names digest " + destination.digest()
                    + " but the image is " + root.digest());
        }
        Pusher p = new Pusher(RegistryClient.create(destination, options), listener);
        String reference = destination.tag() != null ? destination.tag() : root.digest().toString();
        Digest pushed = p.pushDocument(source, root, destination.repository(), reference, 0);
        return new PushResult(destination, pushed, p.blobsSent, p.blobsSkipped);
    }

    private Digest pushDocument(ContentStore source, Descriptor d, String repository, String reference, int depth) {
        if (depth > MAX_DEPTH) {
            throw new InvalidImageException("indexes nested more than " + MAX_DEPTH + " deep at " + d.digest());
        }
        byte[] raw = read(source, d.digest());
        ManifestDocument doc = Manifests.parse(raw, d.mediaType());
        if (doc instanceof ImageIndex index) {
            for (Descriptor child : index.manifests()) {
                pushDocument(source, child, repository, child.digest().toString(), depth + 1);
            }
        } else {
            ImageManifest manifest = (ImageManifest) doc;
            List<Descriptor> blobs = new ArrayList<>(manifest.layers());
            blobs.add(manifest.config());
            for (Descriptor blob : blobs) {
                pushBlob(source, repository, blob);
            }
        }
        return client.putManifest(repository, reference, raw, d.mediaType());
    }

    private void pushBlob(ContentStore source, String repository, Descriptor blob) {
        Supplier<InputStream> content = () -> {
            try {
                return dev.strata.image.progress.TransferProgress.uploading(source.open(blob.digest(), true),
                        blob.digest(), blob.size(), Puller.EVENT_STEP, listener);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        if (client.pushBlob(repository, blob, content)) {
            blobsSent++;
            listener.onEvent(new ProgressEvent.Done(blob.digest()));
        } else {
            blobsSkipped++;
            listener.onEvent(new ProgressEvent.AlreadyExists(blob.digest()));
        }
    }

    private static byte[] read(ContentStore source, Digest digest) {
        try {
            return source.readSmall(digest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
