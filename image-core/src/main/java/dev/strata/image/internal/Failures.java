package dev.strata.image.internal;

import java.io.IOException;

/** Passing on a failure caught on another thread (a Future, a producer thread) to the caller's thread. */
public final class Failures {
    private Failures() {
    }

    /**
     * Throws {@code t} as it is when it is an {@link IOException}, an unchecked exception or an error, else wrapped
     * in an IOException. Declared to return one so that callers can write {@code throw Failures.rethrow(t)} and the
     * compiler sees the path end.
     */
    public static IOException rethrow(Throwable t) throws IOException {
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
