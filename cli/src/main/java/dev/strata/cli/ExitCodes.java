package dev.strata.cli;

import dev.strata.image.ErrorKind;
import dev.strata.image.StrataException;

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
        t = unwrap(t);
        if (t instanceof java.nio.file.NoSuchFileException || t instanceof java.io.FileNotFoundException) {
            return NOT_FOUND;
        }
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
        return ERROR;
    }

    /** Java class names in messages (say "connection refused", not "java.net.ConnectException: ..."). */
    private static final java.util.regex.Pattern CLASS_NAME = java.util.regex.Pattern.compile(
            "\\b(?:java|javax|sun|jdk|com\\.sun)\\.[a-z0-9_.]+\\.([A-Z][A-Za-z0-9]*)(?::\\s*)?");

    /**
     * The one line a failure prints: the library's message, or for the JDK's file-system exceptions (whose message
     * is a bare path) what happened to which path; never a Java class name.
     */
    static String message(Throwable t) {
        t = unwrap(t);
        String path = t instanceof java.nio.file.FileSystemException f ? f.getFile() : null;
        String m;
        if (t instanceof java.nio.file.NoSuchFileException) {
            m = "no such file or directory: " + path;
        } else if (t instanceof java.nio.file.AccessDeniedException) {
            m = "permission denied: " + path + " (give --root DIR for a store of your own, or run as root)";
        } else if (t instanceof java.nio.file.FileAlreadyExistsException) {
            m = "already exists: " + path;
        } else if (t instanceof java.nio.file.NotDirectoryException) {
            m = "not a directory: " + path;
        } else if (t instanceof java.nio.file.DirectoryNotEmptyException) {
            m = "directory not empty: " + path;
        } else if (t instanceof java.net.ConnectException) {
            m = "connection refused" + (t.getMessage() != null ? ": " + t.getMessage() : "");
        } else if (t instanceof java.net.UnknownHostException) {
            m = "unknown host: " + t.getMessage();
        } else if (t instanceof java.nio.file.FileSystemException f) {
            m = (f.getReason() != null ? f.getReason().toLowerCase(java.util.Locale.ROOT) : "file system error")
                    + ": " + path;
        } else {
            m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        }
        m = CLASS_NAME.matcher(m).replaceAll(r -> describe(r.group(1)));
        return m.replace("Connection refused", "connection refused");
    }

    /** Words for the JDK exceptions that appear inside messages. */
    private static String describe(String simpleName) {
        return switch (simpleName) {
            case "ConnectException" -> "";
            case "SocketTimeoutException", "HttpTimeoutException" -> "timed out: ";
            case "UnknownHostException" -> "unknown host ";
            case "NoSuchFileException" -> "no such file or directory: ";
            case "AccessDeniedException" -> "permission denied: ";
            case "SSLHandshakeException", "SSLException" -> "TLS failed: ";
            case "EOFException" -> "connection closed early: ";
            default -> simpleName.replaceAll("Exception$", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                    .toLowerCase(java.util.Locale.ROOT) + ": ";
        };
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof java.io.UncheckedIOException || t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.util.concurrent.CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
