package dev.strata.image;

/** A remote that could not be reached, or kept failing after the allowed retries. */
public class UnavailableException extends StrataException {
    public UnavailableException(String message) {
        super(ErrorKind.UNAVAILABLE, message);
    }

    public UnavailableException(String message, Throwable cause) {
        super(ErrorKind.UNAVAILABLE, message, cause);
    }
}
