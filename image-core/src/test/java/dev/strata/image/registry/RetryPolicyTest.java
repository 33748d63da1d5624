package dev.strata.image.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Backoff growth and bounds, Retry-After in both forms with its cap, and which statuses are retried. */
class RetryPolicyTest {
    private static final Instant NOW = Instant.parse("2024-01-01T00:00:00Z");
    private final RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofMillis(1000),
            Duration.ofSeconds(30));

    @Test
    void backoffGrowsExponentiallyWithJitterAndIsCapped() {
        for (int i = 0; i < 50; i++) {
            assertThat(policy.delay(1, null, NOW).toMillis()).isBetween(50L, 100L);
            assertThat(policy.delay(2, null, NOW).toMillis()).isBetween(100L, 200L);
            assertThat(policy.delay(3, null, NOW).toMillis()).isBetween(200L, 400L);
            assertThat(policy.delay(40, null, NOW).toMillis()).isBetween(500L, 1000L);
        }
    }

    @ParameterizedTest(name = "Retry-After: {0} -> {1} ms")
    @CsvSource(delimiter = '|', value = {
            "0|0", "7|7000", " 3 |3000", "3600|30000",
            "Mon, 01 Jan 2024 00:00:12 GMT|12000", "Sun, 31 Dec 2023 23:59:00 GMT|0",
            "Tue, 02 Jan 2024 00:00:00 GMT|30000"})
    void retryAfterWinsAndIsCapped(String header, long millis) {
        assertThat(policy.delay(1, header, NOW)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest(name = "unreadable Retry-After ''{0}'' falls back to backoff")
    @CsvSource({"soon", "-5", "1.5", "99999999999"})
    void unreadableRetryAfterFallsBackToBackoff(String header) {
        assertThat(policy.delay(1, header, NOW).toMillis()).isBetween(50L, 100L);
    }

    @ParameterizedTest(name = "status {0} retryable={1}")
    @CsvSource({"408,true", "429,true", "500,true", "502,true", "503,true", "599,true", "400,false", "401,false",
            "403,false", "404,false", "416,false", "200,false"})
    void retryableStatuses(int status, boolean retryable) {
        assertThat(RetryPolicy.isRetryableStatus(status)).isEqualTo(retryable);
    }

    @Test
    void attemptsAreCountedIncludingTheFirst() {
        assertThat(policy.canRetry(4)).isTrue();
        assertThat(policy.canRetry(5)).isFalse();
        assertThat(RetryPolicy.none().canRetry(1)).isFalse();
        assertThatThrownBy(() -> policy.withMaxAttempts(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
