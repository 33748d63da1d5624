package dev.strata.image.store;

import java.util.Map;

/**
 * How to open a {@link Store}.
 *
 * @param driver        storage driver name (e.g. {@code overlay}, {@code vfs}), or null to let
 *                      {@link dev.strata.image.driver.GraphDrivers#choose} decide
 * @param driverOptions driver specific options
 */
public record StoreOptions(String driver, Map<String, String> driverOptions) {
    public StoreOptions {
        driverOptions = driverOptions == null ? Map.of() : Map.copyOf(driverOptions);
    }

    public static StoreOptions defaults() {
        return new StoreOptions(null, Map.of());
    }

    public StoreOptions withDriver(String name) {
        return new StoreOptions(name, driverOptions);
    }
}
