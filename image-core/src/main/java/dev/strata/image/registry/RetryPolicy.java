package dev.strata.image.registry;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When and how long to wait before repeating a registry request that failed in a way that may pass: a refused or
 * reset connection, an early EOF, or status 408, 429 or 5xx. The wait grows exponentially from {@code baseDelay}
 * (with "full jitter", so many clients do not retry in lock step), never exceeds {@code maxDelay}, and a
 * {@code Retry-After} header from the server wins when present, capped at {@code maxRetryAfter} so a hostile or
 * confused server cannot park us for a day.
 *
 * @param maxAttempts   total attempts per request, including the first (1 = never retry)
 * @param baseDelay     delay scale of the first retry
 * @param maxDelay      largest computed backoff
 * @param maxRetryAfter largest wait a {@code Retry-After} header can impose
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration maxRetryAfter) {

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        Objects.requireNonNull(baseDelay, "baseDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
        if (baseDelay.isNegative() || maxDelay.isNegative() || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("retry delays must not be negative");
        }
    }

    /** 5 attempts, 200 ms base, 10 s max backoff, Retry-After honoured up to 60 s. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(60));
    }

    /** One attempt only. */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }

    public RetryPolicy withMaxAttempts(int attempts) {
        return new RetryPolicy(attempts, baseDelay, maxDelay, maxRetryAfter);
    }

    /** True if another attempt is allowed after {@code attemptsMade} attempts. */
    public boolean canRetry(int attemptsMade) {
        return attemptsMade < maxAttempts;
    }

    /** Status codes worth repeating: timeouts, throttling and server-side failures. */
    public static boolean isRetryableStatus(int status) {
        return status == 408 || status == 429 || (status >= 500 && status <= 599);
    }

    /**
     * How long to wait before attempt {@code attemptsMade + 1}.
     *
     * @param retryAfter the {@code Retry-After} header value or null
     * @param now        current time, to turn an HTTP date into a wait
     */
    public Duration delay(int attemptsMade, String retryAfter, Instant now) {
        Duration fromServer = parseRetryAfter(retryAfter, now);
        if (fromServer != null) {
            return fromServer.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : fromServer;
        }
        int exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
        long ceiling = Math.min(maxDelay.toMillis(), saturatedShift(baseDelay.toMillis(), exponent));
        // Full jitter over the upper half keeps some growth while spreading clients apart.
        long half = ceiling / 2;
        long jittered = half + (ceiling - half == 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling - half + 1));
        return Duration.ofMillis(jittered);
    }

    /** {@code Retry-After} as delta-seconds or an HTTP date; null when absent or unreadable. */
    static Duration parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        if (v.length() <= 10 && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Duration.ofSeconds(Long.parseLong(v));
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration d = Duration.between(now, at);
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static long saturatedShift(long value, int shift) {
        if (value == 0) {
            return 0;
        }
        return value > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : value << shift;
    }
}
