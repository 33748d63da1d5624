package dev.strata.image.registry;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * How long a registry may take to answer, so that a server sending a byte every few seconds cannot keep a pull
 * running forever (a per-read timeout alone never fires on such a drip).
 *
 * <ul>
 *   <li>A small document (manifest, index, token, error body, the headers of any response) must arrive whole
 *       within {@code documentDeadline}.</li>
 *   <li>A blob must keep a minimum throughput: when fewer than {@code minBytesPerSecond × stallWindow} bytes (or
 *       the rest of the blob, if less) arrive in one {@code stallWindow}, or nothing arrives for a whole window, the
 *       download has stalled. A slow but moving download is left alone, however long it takes.</li>
 *   <li>A request with a body (an upload) gets {@code documentDeadline} plus its size at {@code minBytesPerSecond}.
 *   </li>
 * </ul>
 *
 * A stall is retried like a broken connection (a blob resumes where it stopped) and, when the retries run out,
 * fails with {@link dev.strata.image.UnavailableException} naming the host and what was being read.
 *
 * <p>Each socket read is also bounded by the smaller of the request timeout and these limits, since a read that
 * receives nothing is only noticed when it times out. A deadline is thus enforced within about one read timeout.
 *
 * @param documentDeadline  time for a whole small document, headers included (default 60 s)
 * @param stallWindow       the window over which a blob's throughput is measured (default 30 s)
 * @param minBytesPerSecond the throughput below which a blob has stalled (default 10 KiB/s)
 */
public record TransferLimits(Duration documentDeadline, Duration stallWindow, long minBytesPerSecond) {
    /** System properties read by {@link #fromSystemProperties()}; values are seconds or ISO-8601 durations. */
    public static final String DOCUMENT_DEADLINE_PROPERTY = "strata.registry.documentDeadline";
    public static final String STALL_WINDOW_PROPERTY = "strata.registry.stallWindow";
    public static final String MIN_THROUGHPUT_PROPERTY = "strata.registry.minBytesPerSecond";

    public TransferLimits {
        Objects.requireNonNull(documentDeadline, "documentDeadline");
        Objects.requireNonNull(stallWindow, "stallWindow");
        if (documentDeadline.isNegative() || documentDeadline.isZero() || stallWindow.isNegative()
                || stallWindow.isZero()) {
            throw new IllegalArgumentException("transfer deadlines must be positive");
        }
        if (minBytesPerSecond < 1) {
            throw new IllegalArgumentException("minBytesPerSecond must be positive, got " + minBytesPerSecond);
        }
    }

    /** 60 s for a document, 10 KiB/s over 30 s for a blob. */
    public static TransferLimits defaults() {
        return new TransferLimits(Duration.ofSeconds(60), Duration.ofSeconds(30), 10 * 1024);
    }

    /**
     * The defaults, each overridden by its system property when set ({@value #DOCUMENT_DEADLINE_PROPERTY},
     * {@value #STALL_WINDOW_PROPERTY}, {@value #MIN_THROUGHPUT_PROPERTY}): how {@code image-tool} is tuned, e.g.
     * {@code JAVA_TOOL_OPTIONS=-Dstrata.registry.stallWindow=120}.
     *
     * @throws IllegalArgumentException naming the property when a value is unreadable
     */
    public static TransferLimits fromSystemProperties() {
        TransferLimits d = defaults();
        return new TransferLimits(duration(DOCUMENT_DEADLINE_PROPERTY, d.documentDeadline),
                duration(STALL_WINDOW_PROPERTY, d.stallWindow), number(MIN_THROUGHPUT_PROPERTY, d.minBytesPerSecond));
    }

    /** The least a blob must deliver in one window when {@code remaining} bytes of it are still to come. */
    long minBytesPerWindow(long remaining) {
        long perWindow = saturatedMultiply(minBytesPerSecond, Math.max(1, stallWindow.toMillis())) / 1000;
        return remaining < 0 ? perWindow : Math.min(perWindow, remaining);
    }

    /** The time a request sending {@code bytes} (an upload) may take, response included. */
    Duration deadlineForUpload(long bytes) {
        long extraMillis = saturatedMultiply(Math.max(0, bytes), 1000) / minBytesPerSecond;
        return documentDeadline.plusMillis(extraMillis);
    }

    private static long saturatedMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    private static Duration duration(String property, Duration fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return v.trim().chars().allMatch(c -> c >= '0' && c <= '9' || c == '.')
                    ? Duration.ofMillis(Math.round(Double.parseDouble(v.trim()) * 1000))
                    : Duration.parse(v.trim());
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(property + ": not a duration (seconds or ISO-8601): '" + v + "'", e);
        }
    }

    private static long number(String property, long fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(property + ": not a whole number of bytes per second: '" + v + "'",
                    e);
        }
    }
}
