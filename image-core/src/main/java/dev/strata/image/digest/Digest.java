package dev.strata.image.digest;

import dev.strata.image.InvalidDigestException;

import java.util.HexFormat;
import java.util.Objects;

/**
 * A content digest such as {@code sha256:e3b0c4…}. Only the strict OCI forms are accepted: a registered algorithm
 * and its exact-length lowercase hex encoding. Because a digest becomes a file name and a URL path, a value of this
 * type is always safe to use as one.
 */
public record Digest(DigestAlgorithm algorithm, String encoded) implements Comparable<Digest> {

    private static final HexFormat HEX = HexFormat.of();

    public Digest {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(encoded, "encoded");
        if (!isLowerHex(encoded, algorithm.hexLength())) {
            throw new InvalidDigestException("invalid " + algorithm.ociName() + " digest encoding '" + abbreviate(encoded)
                    + "': expected " + algorithm.hexLength() + " lowercase hex characters");
        }
    }

    /**
     * Parses {@code algorithm:encoded}.
     *
     * @throws InvalidDigestException naming the input for anything but a registered algorithm with a valid encoding
     */
    public static Digest parse(String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidDigestException("invalid digest '': empty");
        }
        int colon = value.indexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new InvalidDigestException("invalid digest '" + abbreviate(value) + "': expected <algorithm>:<hex>");
        }
        String alg = value.substring(0, colon);
        DigestAlgorithm algorithm = DigestAlgorithm.byOciName(alg).orElseThrow(() -> new InvalidDigestException(
                "invalid digest '" + abbreviate(value) + "': unsupported algorithm '" + abbreviate(alg)
                        + "' (supported: sha256, sha512)"));
        String encoded = value.substring(colon + 1);
        if (!isLowerHex(encoded, algorithm.hexLength())) {
            throw new InvalidDigestException("invalid digest '" + abbreviate(value) + "': " + alg + " needs "
                    + algorithm.hexLength() + " lowercase hex characters, got " + encoded.length()
                    + (encoded.chars().anyMatch(c -> c >= 'A' && c <= 'F') ? " (uppercase is not allowed)" : ""));
        }
        return new Digest(algorithm, encoded);
    }

    /** Builds a digest from raw hash bytes. */
    public static Digest of(DigestAlgorithm algorithm, byte[] hash) {
        return new Digest(algorithm, HEX.formatHex(hash));
    }

    /** The SHA-256 digest of {@code content}. */
    public static Digest sha256(byte[] content) {
        return of(DigestAlgorithm.SHA256, DigestAlgorithm.SHA256.newMessageDigest().digest(content));
    }

    /** The digest of {@code content} with this digest's algorithm. */
    public Digest recompute(byte[] content) {
        return of(algorithm, algorithm.newMessageDigest().digest(content));
    }

    /** The hash as bytes. */
    public byte[] hashBytes() {
        return HEX.parseHex(encoded);
    }

    /** First 12 hex characters, as `docker images` shows them. */
    public String shortHex() {
        return encoded.substring(0, 12);
    }

    @Override
    public String toString() {
        return algorithm.ociName() + ":" + encoded;
    }

    // Written out rather than generated: a record's generated equals/hashCode bootstrap through
    // java.lang.runtime.ObjectMethods, which spins some twenty method-handle classes the first time a digest
    // is used as a map key, on the start-up path of every pull.
    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && algorithm == d.algorithm && encoded.equals(d.encoded);
    }

    @Override
    public int hashCode() {
        return 31 * algorithm.ordinal() + encoded.hashCode();
    }

    @Override
    public int compareTo(Digest o) {
        return toString().compareTo(o.toString());
    }

    private static boolean isLowerHex(String s, int length) {
        if (s.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** Keeps error messages readable when a hostile input is megabytes long. */
    static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "…(" + s.length() + " chars)";
    }
}
