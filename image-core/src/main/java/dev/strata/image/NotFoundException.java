package dev.strata.image;

/** The named image, blob, layer or manifest does not exist. */
public class NotFoundException extends StrataException {
    public NotFoundException(String message) {
        super(ErrorKind.NOT_FOUND, message);
    }

    public NotFoundException(String message, Throwable cause) {
        super(ErrorKind.NOT_FOUND, message, cause);
    }
}
