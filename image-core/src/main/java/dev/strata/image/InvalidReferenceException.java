package dev.strata.image;

/** An image reference that does not follow the docker reference grammar. */
public class InvalidReferenceException extends StrataException {
    public InvalidReferenceException(String message) {
        super(ErrorKind.INVALID_ARGUMENT, message);
    }

    public InvalidReferenceException(String message, Throwable cause) {
        super(ErrorKind.INVALID_ARGUMENT, message, cause);
    }
}
