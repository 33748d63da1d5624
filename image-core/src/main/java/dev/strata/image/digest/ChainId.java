package dev.strata.image.digest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * ChainID as defined by the OCI image config spec: {@code ChainID(L0) = DiffID(L0)} and
 * {@code ChainID(Ln) = SHA256(ChainID(Ln-1) + " " + DiffID(Ln))}. It names a layer together with all its parents,
 * so two images that share a base share its ChainIDs.
 */
public final class ChainId {
    private ChainId() {
    }

    /** ChainID of the last layer of {@code diffIds}. */
    public static Digest of(List<Digest> diffIds) {
        if (diffIds.isEmpty()) {
            throw new IllegalArgumentException("ChainID of an empty layer list is undefined");
        }
        Digest chain = null;
        for (Digest diffId : diffIds) {
            chain = chain == null ? diffId : next(chain, diffId);
        }
        return chain;
    }

    /** ChainID of every prefix: element i is the ChainID of layers 0..i. */
    public static List<Digest> all(List<Digest> diffIds) {
        Digest[] out = new Digest[diffIds.size()];
        Digest chain = null;
        for (int i = 0; i < out.length; i++) {
            chain = chain == null ? diffIds.get(i) : next(chain, diffIds.get(i));
            out[i] = chain;
        }
        return List.of(out);
    }

    /** ChainID of {@code diffId} on top of the chain {@code parent}. */
    public static Digest next(Digest parent, Digest diffId) {
        MessageDigest md = DigestAlgorithm.SHA256.newMessageDigest();
        md.update((parent + " " + diffId).getBytes(StandardCharsets.US_ASCII));
        return Digest.of(DigestAlgorithm.SHA256, md.digest());
    }
}
