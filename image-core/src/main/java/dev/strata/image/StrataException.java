package dev.strata.image;

/**
 * Root of Strata's unchecked exceptions. Each subclass has one {@link ErrorKind}; messages name the digest, path
 * or input concerned and the cause. Plain I/O failures stay {@link java.io.IOException}s.
 */
public class StrataException extends RuntimeException {
    private final ErrorKind kind;

    public StrataException(ErrorKind kind, String message) {
        this(kind, message, null);
    }

    public StrataException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
    }

    public ErrorKind kind() {
        return kind;
    }
}
