package dev.strata.image;

/** The host, kernel or filesystem lacks what the operation needs; the message says what is missing. */
public class UnsupportedPlatformException extends StrataException {
    public UnsupportedPlatformException(String message) {
        super(ErrorKind.UNSUPPORTED, message);
    }

    public UnsupportedPlatformException(String message, Throwable cause) {
        super(ErrorKind.UNSUPPORTED, message, cause);
    }
}
