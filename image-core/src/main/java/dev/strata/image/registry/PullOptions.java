package dev.strata.image.registry;

import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressListener;

import java.util.Objects;

/**
 * How {@link Puller} pulls.
 *
 * @param platform the platform chosen from a multi-platform index
 * @param jobs     blobs downloaded at the same time (a bounded pool of this many threads)
 * @param registry how to talk to the registry (transport, certificates, credentials, retries)
 * @param listener receives progress events, from several threads at once
 */
public record PullOptions(Platform platform, int jobs, RegistryOptions registry, ProgressListener listener) {
    public static final int DEFAULT_JOBS = 4;
    /** More parallel connections than this only annoy the registry. */
    public static final int MAX_JOBS = 64;

    public PullOptions {
        Objects.requireNonNull(platform, "platform");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(listener, "listener");
        if (jobs < 1 || jobs > MAX_JOBS) {
            throw new IllegalArgumentException("jobs must be between 1 and " + MAX_JOBS + ", got " + jobs);
        }
    }

    /** This host's platform, {@value #DEFAULT_JOBS} jobs, {@link RegistryOptions#defaults()}, no progress. */
    public static PullOptions defaults() {
        return new PullOptions(Platform.host(), DEFAULT_JOBS, RegistryOptions.defaults(), ProgressListener.NONE);
    }

    public PullOptions withPlatform(Platform p) {
        return new PullOptions(p, jobs, registry, listener);
    }

    public PullOptions withJobs(int n) {
        return new PullOptions(platform, n, registry, listener);
    }

    public PullOptions withRegistry(RegistryOptions r) {
        return new PullOptions(platform, jobs, r, listener);
    }

    public PullOptions withListener(ProgressListener l) {
        return new PullOptions(platform, jobs, registry, l);
    }
}
