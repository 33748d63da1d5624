package dev.strata.image.store;

import java.time.Duration;
import java.util.Map;

/**
 * How to open a {@link Store}.
 *
 * @param driver        storage driver name (e.g. {@code overlay}, {@code vfs}), or null to let
 *                      {@link dev.strata.image.driver.GraphDrivers#choose} decide
 * @param driverOptions driver specific options
 * @param lockTimeout   how long {@link Store#open} waits for the store lock before it fails with
 *                      {@link dev.strata.image.FailedPreconditionException} naming the holder (default 30 s)
 */
public record StoreOptions(String driver, Map<String, String> driverOptions, Duration lockTimeout) {
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(30);

    public StoreOptions {
        driverOptions = driverOptions == null ? Map.of() : Map.copyOf(driverOptions);
        lockTimeout = lockTimeout == null ? DEFAULT_LOCK_TIMEOUT : lockTimeout;
        if (lockTimeout.isNegative()) {
            throw new IllegalArgumentException("lockTimeout must not be negative: " + lockTimeout);
        }
    }

    public StoreOptions(String driver, Map<String, String> driverOptions) {
        this(driver, driverOptions, DEFAULT_LOCK_TIMEOUT);
    }

    public static StoreOptions defaults() {
        return new StoreOptions(null, Map.of());
    }

    public StoreOptions withDriver(String name) {
        return new StoreOptions(name, driverOptions, lockTimeout);
    }

    public StoreOptions withLockTimeout(Duration timeout) {
        return new StoreOptions(driver, driverOptions, timeout);
    }
}
