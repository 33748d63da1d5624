package dev.strata.image.progress;

/**
 * Receives {@link ProgressEvent}s of a long operation (a pull). The library reports, the caller decides what to
 * show: the library itself never prints. Events of different blobs may arrive concurrently from worker threads, so
 * implementations must be thread-safe; they should return quickly, since downloads wait for them.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores everything. */
    ProgressListener NONE = event -> { };

    void onEvent(ProgressEvent event);
}
