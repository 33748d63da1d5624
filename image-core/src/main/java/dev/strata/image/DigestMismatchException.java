package dev.strata.image;

/** Content whose digest or size differs from what its descriptor promised; nothing of it was committed. */
public class DigestMismatchException extends StrataException {
    public DigestMismatchException(String message) {
        super(ErrorKind.DIGEST_MISMATCH, message);
    }

    public DigestMismatchException(String message, Throwable cause) {
        super(ErrorKind.DIGEST_MISMATCH, message, cause);
    }
}
