package dev.strata.image.model;

import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An OCI image index or a Docker manifest list: manifests for several platforms. Raw bytes are kept and copied
 * as in {@link ImageManifest}.
 *
 * @param subject OCI 1.1 subject, or null
 * @param digest  digest of {@code raw}; pass null to have it computed (SHA-256); a given digest is checked
 */
public record ImageIndex(int schemaVersion, String mediaType, List<Descriptor> manifests, Descriptor subject,
                         Map<String, String> annotations, byte[] raw, Digest digest) implements ManifestDocument {

    public ImageIndex {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(raw, "raw");
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        raw = raw.clone();
        digest = RawBytes.checkDigest(raw, digest);
    }

    /**
     * Builds an index from its parts as compact JSON (annotation keys sorted) and digests those bytes.
     *
     * @param mediaType {@link MediaType#OCI_INDEX} or {@link MediaType#DOCKER_MANIFEST_LIST}
     */
    public static ImageIndex create(String mediaType, List<Descriptor> manifests, Map<String, String> annotations) {
        if (!MediaType.isIndex(mediaType)) {
            throw new IllegalArgumentException("not an index media type: " + mediaType);
        }
        byte[] raw = DocumentWriter.index(mediaType, manifests, annotations);
        return Manifests.parseIndex(raw, mediaType);
    }

    /**
     * The entry of {@code manifests} that best suits {@code wanted}: an exact platform match first, then for
     * 32-bit ARM the newest older variant (v8, v7, v6, v5); among equals the first listed. Entries without a
     * platform are never chosen.
     */
    public static Optional<Descriptor> bestMatch(List<Descriptor> manifests, Platform wanted) {
        Objects.requireNonNull(wanted, "wanted");
        Descriptor best = null;
        int bestRank = Integer.MAX_VALUE;
        for (Descriptor d : manifests) {
            if (d.platform() == null) {
                continue;
            }
            int rank = wanted.rank(d.platform());
            if (rank >= 0 && rank < bestRank) {
                best = d;
                bestRank = rank;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@link #bestMatch(List, Platform)} over this index. */
    public Optional<Descriptor> bestMatch(Platform wanted) {
        return bestMatch(manifests, wanted);
    }

    /**
     * The manifest for {@code wanted}.
     *
     * @throws NotFoundException listing the platforms the index offers when none can run on {@code wanted}
     */
    public Descriptor select(Platform wanted) {
        return bestMatch(wanted).orElseThrow(() -> new NotFoundException("no manifest for " + wanted
                + " in index " + digest + "; available: " + availablePlatforms()));
    }

    private String availablePlatforms() {
        Set<String> names = new LinkedHashSet<>();
        for (Descriptor d : manifests) {
            // attestation entries carry unknown/unknown: not a platform anyone can ask for
            if (d.platform() != null && !d.platform().os().equals("unknown")) {
                names.add(d.platform().toString());
            }
        }
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public long size() {
        return raw.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageIndex i && schemaVersion == i.schemaVersion && mediaType.equals(i.mediaType)
                && manifests.equals(i.manifests) && Objects.equals(subject, i.subject)
                && annotations.equals(i.annotations) && digest.equals(i.digest) && Arrays.equals(raw, i.raw);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "ImageIndex[" + mediaType + " " + digest + ", " + manifests.size() + " manifests]";
    }
}
