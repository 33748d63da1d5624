package dev.strata.image;

/**
 * The short list of failure kinds every Strata error maps to. The CLI turns each kind into its own exit code, so
 * a script can tell "not there" from "not allowed" from "the network is down" without parsing messages.
 */
public enum ErrorKind {
    /** Input that can never be valid: a malformed digest, reference, platform or option. */
    INVALID_ARGUMENT,
    /** The named image, blob, layer or manifest does not exist. */
    NOT_FOUND,
    /** Something that must be unique already exists. */
    ALREADY_EXISTS,
    /** Content whose bytes do not hash to, or do not have the size of, what its descriptor promised. */
    DIGEST_MISMATCH,
    /** A manifest, index, config or layout that does not follow the specification. */
    INVALID_IMAGE,
    /** A layer that tries to write outside its root or to exceed a bound: refused before anything escapes. */
    UNSAFE_LAYER,
    /** Credentials missing, refused or not allowed for the requested scope. */
    AUTHENTICATION,
    /** A remote that could not be reached or kept failing after retries. */
    UNAVAILABLE,
    /** The operation is valid but the current state forbids it (a layer with children, a busy mount). */
    FAILED_PRECONDITION,
    /** The platform or kernel lacks what the operation needs. */
    UNSUPPORTED
}
