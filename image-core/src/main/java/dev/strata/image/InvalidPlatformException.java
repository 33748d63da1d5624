package dev.strata.image;

/** A platform string such as {@code linux/arm64/v8} that does not follow the {@code os/arch[/variant]} form. */
public class InvalidPlatformException extends StrataException {
    public InvalidPlatformException(String message) {
        super(ErrorKind.INVALID_ARGUMENT, message);
    }
}
