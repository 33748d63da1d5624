package dev.strata.image.registry;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread for every deadline that no read of ours can check: the wait for response headers, which
 * {@link java.net.HttpURLConnection} reads internally. An action run here must not block (closing a connection
 * that has no body stream yet only closes its socket).
 */
final class Watchdog {
    private static final ScheduledThreadPoolExecutor TIMER = create();

    private Watchdog() {
    }

    private static ScheduledThreadPoolExecutor create() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "strata-registry-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true); // a cancelled deadline (the usual case) takes no room until it would fire
        return t;
    }

    /** Runs {@code action} after {@code delay} unless the returned future is cancelled first. */
    static ScheduledFuture<?> after(Duration delay, Runnable action) {
        return TIMER.schedule(action, Math.max(1, delay.toNanos()), TimeUnit.NANOSECONDS);
    }
}
