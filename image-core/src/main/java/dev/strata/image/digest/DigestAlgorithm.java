package dev.strata.image.digest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/** The digest algorithms the OCI image spec registers and Strata accepts. */
public enum DigestAlgorithm {
    SHA256("sha256", "SHA-256", 64),
    SHA512("sha512", "SHA-512", 128);

    private final String ociName;
    private final String jdkName;
    private final int hexLength;

    DigestAlgorithm(String ociName, String jdkName, int hexLength) {
        this.ociName = ociName;
        this.jdkName = jdkName;
        this.hexLength = hexLength;
    }

    /** The name used in digest strings, e.g. {@code sha256}. */
    public String ociName() {
        return ociName;
    }

    /** Length of the lowercase hex encoding. */
    public int hexLength() {
        return hexLength;
    }

    /** A fresh JDK {@link MessageDigest} (backed by the CPU's SHA instructions where the JDK has intrinsics). */
    public MessageDigest newMessageDigest() {
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks mandatory algorithm " + jdkName, e);
        }
    }

    public static Optional<DigestAlgorithm> byOciName(String name) {
        for (DigestAlgorithm a : values()) {
            if (a.ociName.equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
