package dev.strata.image;

/** Credentials missing, refused, or not allowed for the requested scope. */
public class AuthenticationException extends StrataException {
    public AuthenticationException(String message) {
        super(ErrorKind.AUTHENTICATION, message);
    }

    public AuthenticationException(String message, Throwable cause) {
        super(ErrorKind.AUTHENTICATION, message, cause);
    }
}
