package dev.strata.image;

/** A digest string that does not follow the OCI digest grammar or names an unsupported algorithm. */
public class InvalidDigestException extends StrataException {
    public InvalidDigestException(String message) {
        super(ErrorKind.INVALID_ARGUMENT, message);
    }

    public InvalidDigestException(String message, Throwable cause) {
        super(ErrorKind.INVALID_ARGUMENT, message, cause);
    }
}
