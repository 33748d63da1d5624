package dev.strata.image;

/** Something that must be unique already exists. */
public class AlreadyExistsException extends StrataException {
    public AlreadyExistsException(String message) {
        super(ErrorKind.ALREADY_EXISTS, message);
    }

    public AlreadyExistsException(String message, Throwable cause) {
        super(ErrorKind.ALREADY_EXISTS, message, cause);
    }
}
