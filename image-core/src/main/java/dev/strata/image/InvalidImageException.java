package dev.strata.image;

/** A manifest, index, config or image layout that breaks the specification; the message gives the JSON path. */
public class InvalidImageException extends StrataException {
    public InvalidImageException(String message) {
        super(ErrorKind.INVALID_IMAGE, message);
    }

    public InvalidImageException(String message, Throwable cause) {
        super(ErrorKind.INVALID_IMAGE, message, cause);
    }
}
