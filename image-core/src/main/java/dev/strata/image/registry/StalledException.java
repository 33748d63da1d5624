package dev.strata.image.registry;

import java.io.IOException;

/**
 * A response that did not arrive in time (see {@link TransferLimits}): retried like a broken connection, and
 * reported by its message alone, which names what was being read and from which host.
 */
final class StalledException extends IOException {
    StalledException(String message) {
        super(message);
    }

    StalledException(String message, Throwable cause) {
        super(message, cause);
    }

    /** How a failed read is told in an error line: a stall by its message, anything else as it describes itself. */
    static String describe(Throwable t) {
        return t instanceof StalledException ? t.getMessage() : String.valueOf(t);
    }
}
