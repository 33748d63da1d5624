package dev.strata.image.model;

import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** Turns checked JSON trees into the model records; the rules are listed on {@link Manifests}. */
final class DocumentReader {
    enum Expect { MANIFEST, INDEX, EITHER }

    static final String SCHEMA1_MESSAGE = "Docker schema1 manifests are not supported; re-push the image with a "
            + "current Docker, Podman or Buildah (they write schema2 or OCI manifests)";

    private DocumentReader() {
    }

    static ManifestDocument readManifestOrIndex(byte[] raw, String transportType, Expect expect) {
        String what = expect == Expect.INDEX ? "image index" : expect == Expect.MANIFEST ? "image manifest"
                : "manifest";
        checkSize(raw, what);
        Digest digest = Digest.sha256(raw);
        JsonField root = Json.readObject(raw, what + " " + digest);
        String transport = normalizeTransport(transportType);

        JsonField mediaTypeField = root.get("mediaType");
        String body = mediaTypeField.optString();
        rejectSchema1(root, transport, body);
        JsonField versionField = root.get("schemaVersion");
        long schemaVersion = versionField.integer();
        if (schemaVersion == 1) {
            throw versionField.fail(SCHEMA1_MESSAGE);
        }
        if (schemaVersion != 2) {
            throw versionField.fail("unsupported schemaVersion " + schemaVersion + ", expected 2");
        }

        boolean manifestKeys = root.has("config") || root.has("layers");
        boolean indexKeys = root.has("manifests");
        if (manifestKeys && indexKeys) {
            throw root.fail("document has both 'manifests' (an index) and 'config'/'layers' (a manifest); "
                    + "refusing to guess which one it is");
        }
        if (body != null && !isKnown(body)) {
            throw mediaTypeField.fail("unsupported media type '" + JsonField.abbreviate(body)
                    + "': expected an OCI or Docker v2 manifest or index");
        }
        boolean transportKnown = transport != null && isKnown(transport);
        if (body != null && transportKnown && !body.equals(transport)) {
            throw mediaTypeField.fail("'" + body + "' disagrees with the media type '" + transport
                    + "' the document was served or referenced as");
        }
        String effective;
        if (body != null) {
            effective = body;
        } else if (transportKnown) {
            effective = transport;
        } else if (indexKeys) {
            effective = MediaType.OCI_INDEX;
        } else if (manifestKeys) {
            effective = MediaType.OCI_MANIFEST;
        } else {
            throw root.fail("no mediaType and neither 'manifests' nor 'config'/'layers': cannot tell a manifest "
                    + "from an index");
        }

        if (MediaType.isIndex(effective)) {
            if (expect == Expect.MANIFEST) {
                throw root.fail("expected an image manifest, got an index (" + effective + ")");
            }
            if (manifestKeys) {
                throw root.fail("an index (" + effective + ") must not have 'config' or 'layers'");
            }
            return new ImageIndex((int) schemaVersion, effective, descriptors(root.get("manifests")),
                    optDescriptor(root.get("subject")), root.get("annotations").optStringMap(), raw, digest);
        }
        if (expect == Expect.INDEX) {
            throw root.fail("expected an image index, got a manifest (" + effective + ")");
        }
        if (indexKeys) {
            throw root.fail("a manifest (" + effective + ") must not have 'manifests'");
        }
        return new ImageManifest((int) schemaVersion, effective, root.get("artifactType").optString(),
                descriptor(root.get("config")), descriptors(root.get("layers")), optDescriptor(root.get("subject")),
                root.get("annotations").optStringMap(), raw, digest);
    }

    static ImageConfig readConfig(byte[] raw) {
        checkSize(raw, "image config");
        Digest digest = Digest.sha256(raw);
        JsonField root = Json.readObject(raw, "image config " + digest);
        String architecture = nonEmpty(root.get("architecture"));
        String os = nonEmpty(root.get("os"));
        JsonField rootfs = root.get("rootfs").requireObject();
        JsonField type = rootfs.get("type");
        if (!"layers".equals(type.string())) {
            throw type.fail("rootfs type must be 'layers', got '" + JsonField.abbreviate(type.string()) + "'");
        }
        List<Digest> diffIds = new ArrayList<>();
        for (JsonField d : rootfs.get("diff_ids").elements()) {
            diffIds.add(d.digest());
        }
        List<HistoryEntry> history = new ArrayList<>();
        for (JsonField h : root.get("history").optElements()) {
            h.requireObject();
            history.add(new HistoryEntry(h.get("created").optTimestamp(), h.get("created_by").optString(),
                    h.get("author").optString(), h.get("comment").optString(), h.get("empty_layer").optBoolean(false)));
        }
        JsonField config = root.get("config");
        RuntimeConfig runtime = config.present() ? runtimeConfig(config.requireObject()) : RuntimeConfig.EMPTY;
        return new ImageConfig(architecture, os, root.get("variant").optString(), root.get("os.version").optString(),
                root.get("created").optTimestamp(), root.get("author").optString(), runtime, "layers", diffIds,
                history, raw, digest);
    }

    private static RuntimeConfig runtimeConfig(JsonField c) {
        return new RuntimeConfig(c.get("User").optString(), c.get("Env").optStrings(),
                c.get("Entrypoint").optStrings(), c.get("Cmd").optStrings(), c.get("WorkingDir").optString(),
                c.get("Labels").optStringMap(), c.get("ExposedPorts").optKeys(), c.get("Volumes").optKeys(),
                c.get("StopSignal").optString(), isEmptyList(c.get("Entrypoint")), isEmptyList(c.get("Cmd")));
    }

    /** An explicit {@code []}, which Docker tells from {@code null}. */
    private static boolean isEmptyList(JsonField f) {
        return f.present() && f.optStrings().isEmpty();
    }

    private static void rejectSchema1(JsonField root, String transport, String body) {
        if (MediaType.isSchema1(body)) {
            throw root.get("mediaType").fail(SCHEMA1_MESSAGE);
        }
        if (MediaType.isSchema1(transport)) {
            throw root.fail(SCHEMA1_MESSAGE + " (served as " + transport + ")");
        }
        for (String field : List.of("fsLayers", "signatures")) {
            if (root.has(field)) {
                throw root.get(field).fail(SCHEMA1_MESSAGE);
            }
        }
    }

    private static List<Descriptor> descriptors(JsonField array) {
        List<Descriptor> out = new ArrayList<>();
        for (JsonField e : array.elements()) {
            out.add(descriptor(e));
        }
        return out;
    }

    private static Descriptor optDescriptor(JsonField f) {
        return f.present() ? descriptor(f) : null;
    }

    static Descriptor descriptor(JsonField f) {
        f.requireObject();
        String mediaType = nonEmpty(f.get("mediaType"));
        Digest digest = f.get("digest").digest();
        long size = f.get("size").nonNegativeLong();
        JsonField platform = f.get("platform");
        return new Descriptor(mediaType, digest, size, f.get("urls").optStrings(), f.get("annotations").optStringMap(),
                platform.present() ? platform(platform.requireObject()) : null, f.get("artifactType").optString());
    }

    private static Platform platform(JsonField p) {
        return new Platform(nonEmpty(p.get("os")), nonEmpty(p.get("architecture")), p.get("variant").optString(),
                p.get("os.version").optString(), p.get("os.features").optStrings());
    }

    private static String nonEmpty(JsonField f) {
        String s = f.string();
        if (s.isEmpty()) {
            throw f.fail("must not be empty");
        }
        return s;
    }

    private static void checkSize(byte[] raw, String what) {
        Objects.requireNonNull(raw, "raw");
        if (raw.length > Manifests.MAX_DOCUMENT_SIZE) {
            throw new InvalidImageException("$: " + what + " is " + raw.length + " bytes, more than the limit of "
                    + Manifests.MAX_DOCUMENT_SIZE + " bytes (4 MiB)");
        }
    }

    private static boolean isKnown(String mediaType) {
        return MediaType.isManifest(mediaType) || MediaType.isIndex(mediaType);
    }

    /** {@code Content-Type} parameters and case do not matter; blank means absent. */
    private static String normalizeTransport(String type) {
        if (type == null) {
            return null;
        }
        int semicolon = type.indexOf(';');
        String t = (semicolon >= 0 ? type.substring(0, semicolon) : type).trim().toLowerCase(Locale.ROOT);
        return t.isEmpty() ? null : t;
    }
}
