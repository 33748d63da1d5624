package dev.strata.image.model;

/**
 * Parses manifests, indexes and image configs from their exact bytes. The raw bytes are kept and the digest is
 * computed over them. Parsing is strict where ambiguity could be exploited (duplicate keys, a document that is
 * both a manifest and an index, a body whose {@code mediaType} contradicts the transport, trailing content,
 * size and nesting beyond bounds) and lenient where the specs are (unknown fields are ignored). Every
 * rejection is an {@link dev.strata.image.InvalidImageException} whose message starts with the JSON path of
 * the problem, e.g. {@code $.layers[2].digest: invalid digest 'sha256:zz': …}.
 */
public final class Manifests {
    /** Largest manifest, index or config accepted, checked before any parsing. */
    public static final int MAX_DOCUMENT_SIZE = 4 * 1024 * 1024;

    private Manifests() {
    }

    /**
     * Parses a manifest or an index, as served by a registry or read from a blob.
     *
     * @param mediaTypeFromTransport the {@code Content-Type} or descriptor media type, or null; parameters such
     *                               as {@code ; charset=utf-8} are ignored, and so is a type that names neither a
     *                               manifest nor an index (e.g. {@code application/json})
     */
    public static ManifestDocument parse(byte[] raw, String mediaTypeFromTransport) {
        return DocumentReader.readManifestOrIndex(raw, mediaTypeFromTransport, DocumentReader.Expect.EITHER);
    }

    /** Parses an image manifest (OCI or Docker v2 schema2); an index is rejected. */
    public static ImageManifest parseManifest(byte[] raw, String expectedMediaType) {
        return (ImageManifest) DocumentReader.readManifestOrIndex(raw, expectedMediaType,
                DocumentReader.Expect.MANIFEST);
    }

    /** Parses an image index (OCI index or Docker manifest list); a manifest is rejected. */
    public static ImageIndex parseIndex(byte[] raw, String expectedMediaType) {
        return (ImageIndex) DocumentReader.readManifestOrIndex(raw, expectedMediaType, DocumentReader.Expect.INDEX);
    }

    /** Parses an image config (OCI or Docker); {@code rootfs.type} must be {@code layers}. */
    public static ImageConfig parseConfig(byte[] raw) {
        return DocumentReader.readConfig(raw);
    }
}
