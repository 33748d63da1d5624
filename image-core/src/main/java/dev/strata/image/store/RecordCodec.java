package dev.strata.image.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import dev.strata.image.internal.JsonTrees;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JSON of the store's own files (layer records, images.json, mounts.json); Jackson stays out of the public types. */
final class RecordCodec {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Records are tiny; a huge file is damage, not data. */
    static final long MAX_RECORD = 1 << 20;
    static final long MAX_IMAGES = 64L << 20;

    private RecordCodec() {
    }

    static byte[] layer(LayerRecord r) throws IOException {
        ObjectNode n = NODES.objectNode();
        n.put("chainId", r.chainId().toString());
        n.put("parent", r.parent() == null ? null : r.parent().toString());
        n.put("diffId", r.diffId().toString());
        n.put("driverId", r.driverId());
        n.put("compressedDigest", r.compressedDigest() == null ? null : r.compressedDigest().toString());
        n.put("compressedSize", r.compressedSize());
        n.put("uncompressedSize", r.uncompressedSize());
        n.put("compression", r.compression());
        n.put("incomplete", r.incomplete());
        return JsonTrees.write(n, true);
    }

    static LayerRecord layer(byte[] bytes, Path from) {
        try {
            JsonNode n = JsonTrees.read(bytes);
            return new LayerRecord(digest(n, "chainId", true), digest(n, "parent", false),
                    digest(n, "diffId", true), text(n, "driverId", true), digest(n, "compressedDigest", false),
                    n.path("compressedSize").asLong(), n.path("uncompressedSize").asLong(),
                    text(n, "compression", false), n.path("incomplete").asBoolean(false));
        } catch (IOException | RuntimeException e) {
            throw new InvalidImageException("damaged layer record " + from + ": " + e.getMessage(), e);
        }
    }

    static byte[] images(List<ImageRecord> images) throws IOException {
        ObjectNode root = NODES.objectNode();
        var arr = root.putArray("images");
        for (ImageRecord r : images) {
            ObjectNode n = arr.addObject();
            n.put("name", r.name());
            n.put("manifest", r.manifest().toString());
            n.put("config", r.config().toString());
        }
        return JsonTrees.write(root, true);
    }

    static List<ImageRecord> images(byte[] bytes, Path from) {
        try {
            List<ImageRecord> out = new ArrayList<>();
            for (JsonNode n : JsonTrees.read(bytes).path("images")) {
                out.add(new ImageRecord(text(n, "name", true), digest(n, "manifest", true), digest(n, "config", true)));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new InvalidImageException("damaged image list " + from + ": " + e.getMessage(), e);
        }
    }

    static byte[] mounts(List<ImageMount> mounts) throws IOException {
        ObjectNode root = NODES.objectNode();
        var arr = root.putArray("mounts");
        for (ImageMount m : mounts) {
            ObjectNode n = arr.addObject();
            n.put("name", m.name());
            n.put("layer", m.layer().toString());
            n.put("path", m.path().toString());
            n.put("count", m.count());
        }
        return JsonTrees.write(root, true);
    }

    static List<ImageMount> mounts(byte[] bytes, Path from) {
        try {
            List<ImageMount> out = new ArrayList<>();
            for (JsonNode n : JsonTrees.read(bytes).path("mounts")) {
                out.add(new ImageMount(text(n, "name", true), digest(n, "layer", true),
                        Path.of(text(n, "path", true)), n.path("count").asInt()));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new InvalidImageException("damaged mount list " + from + ": " + e.getMessage(), e);
        }
    }

    private static Digest digest(JsonNode n, String field, boolean required) {
        String s = text(n, field, required);
        return s == null ? null : Digest.parse(s);
    }

    private static String text(JsonNode n, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException("missing field '" + field + "'");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' is not a string");
        }
        return v.asText();
    }
}
