package dev.strata.image;

/** A layer refused because it would write outside its root or exceed a bound; the message names the entry. */
public class UnsafeLayerException extends StrataException {
    public UnsafeLayerException(String message) {
        super(ErrorKind.UNSAFE_LAYER, message);
    }

    public UnsafeLayerException(String message, Throwable cause) {
        super(ErrorKind.UNSAFE_LAYER, message, cause);
    }
}
