package dev.strata.image.driver;

import java.util.Objects;

/**
 * Whether a driver works at a given home directory on this machine.
 *
 * @param supported true when the driver can be opened there
 * @param reason    why not (or a note on how it will work), never null
 */
public record Probe(boolean supported, String reason) {
    public Probe {
        Objects.requireNonNull(reason, "reason");
    }

    public static Probe supported(String note) {
        return new Probe(true, note);
    }

    public static Probe unsupported(String reason) {
        return new Probe(false, reason);
    }
}
