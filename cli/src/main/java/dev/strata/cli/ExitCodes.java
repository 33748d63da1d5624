package dev.strata.cli;

import dev.strata.image.ErrorKind;
import dev.strata.image.StrataException;

import java.io.IOException;

/**
 * The documented exit codes. Scripts can tell "not there" from "not allowed" from "network down" without parsing
 * messages; each {@link ErrorKind} has its own code.
 */
final class ExitCodes {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    static final int AUTH = 4;
    static final int NETWORK = 5;
    static final int INVALID_IMAGE = 6;
    static final int UNSAFE_LAYER = 7;
    static final int PRECONDITION = 8;
    static final int UNSUPPORTED = 9;

    /** Text for {@code --help}. */
    static final String HELP = """
            Exit codes:
              0  success
              1  error (I/O and anything not listed below)
              2  usage error
              3  not found (image, blob, layer, manifest)
              4  authentication refused or missing
              5  registry unreachable or kept failing
              6  invalid image or content (digest mismatch, bad manifest)
              7  unsafe layer refused (path escape, bomb, malformed tar)
              8  operation not allowed in the current state (layer in use, has children)
              9  unsupported on this host (kernel, filesystem, privileges)""";

    private ExitCodes() {
    }

    static int of(Throwable t) {
        if (t instanceof StrataException s) {
            return switch (s.kind()) {
                case INVALID_ARGUMENT -> USAGE;
                case NOT_FOUND -> NOT_FOUND;
                case AUTHENTICATION -> AUTH;
                case UNAVAILABLE -> NETWORK;
                case INVALID_IMAGE, DIGEST_MISMATCH -> INVALID_IMAGE;
                case UNSAFE_LAYER -> UNSAFE_LAYER;
                case FAILED_PRECONDITION, ALREADY_EXISTS -> PRECONDITION;
                case UNSUPPORTED -> UNSUPPORTED;
            };
        }
        if (t instanceof IOException) {
            return ERROR;
        }
        return ERROR;
    }
}
