package dev.strata.image;

/** A valid operation that the current state forbids (a layer that still has children, a busy mount). */
public class FailedPreconditionException extends StrataException {
    public FailedPreconditionException(String message) {
        super(ErrorKind.FAILED_PRECONDITION, message);
    }

    public FailedPreconditionException(String message, Throwable cause) {
        super(ErrorKind.FAILED_PRECONDITION, message, cause);
    }
}
