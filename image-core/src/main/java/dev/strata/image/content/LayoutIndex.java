package dev.strata.image.content;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.image.InvalidDigestException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import dev.strata.image.fs.NoFollowDir;
import dev.strata.image.internal.JsonTrees;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code index.json} of an OCI layout as a mutable JSON tree. Strata edits the tree instead of re-serializing a
 * model, so fields and entries written by other tools (umoci, skopeo) survive a tag or untag.
 */
final class LayoutIndex {
    /** Cap for index.json, manifests and other JSON read by the content store. */
    static final int MAX_JSON_SIZE = 4 * 1024 * 1024;

    /** Duplicate keys are refused: two tools could otherwise read two different documents from the same bytes. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64).maxStringLength(MAX_JSON_SIZE).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final ObjectNode root;

    private LayoutIndex(ObjectNode root) {
        this.root = root;
    }

    static LayoutIndex empty() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaType.OCI_INDEX);
        root.putArray("manifests");
        return new LayoutIndex(root);
    }

    /** Reads and validates {@code dir/name}; every problem becomes an {@link InvalidImageException} naming it. */
    static LayoutIndex read(NoFollowDir dir, String name) throws IOException {
        Path file = dir.path().resolve(name);
        JsonNode tree = readJson(dir, name, MAX_JSON_SIZE);
        if (!(tree instanceof ObjectNode obj)) {
            throw new InvalidImageException(file + ": index must be a JSON object");
        }
        JsonNode version = obj.get("schemaVersion");
        if (version == null || !version.isIntegralNumber() || version.asInt() != 2) {
            throw new InvalidImageException(file + ": schemaVersion must be 2, got " + version);
        }
        JsonNode manifests = obj.get("manifests");
        if (manifests == null || manifests.isNull()) {
            obj.putArray("manifests");
        } else if (!manifests.isArray()) {
            throw new InvalidImageException(file + ": manifests must be an array");
        }
        LayoutIndex index = new LayoutIndex(obj);
        // Parse every entry once so that a bad digest fails here, before any of it reaches a path.
        for (int i = 0; i < index.manifests().size(); i++) {
            toDescriptor(index.manifests().get(i), file + ": manifests[" + i + "]");
        }
        return index;
    }

    /** Parses JSON from {@code dir/name}, a regular file (never a symlink or FIFO) of at most {@code cap} bytes. */
    static JsonNode readJson(NoFollowDir dir, String name, int cap) throws IOException {
        Path file = dir.path().resolve(name);
        byte[] bytes;
        try (InputStream in = dir.openRead(name).stream()) {
            bytes = in.readNBytes(cap + 1);
        }
        if (bytes.length > cap) {
            throw new InvalidImageException(file + ": larger than the " + cap + " byte cap");
        }
        return parse(bytes, file.toString());
    }

    static JsonNode parse(byte[] bytes, String what) {
        try {
            JsonNode tree = JsonTrees.read(FACTORY, bytes);
            if (tree == null || tree.isMissingNode()) {
                throw new InvalidImageException(what + ": empty JSON document");
            }
            return tree;
        } catch (JsonProcessingException e) {
            throw new InvalidImageException(what + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new InvalidImageException(what + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    byte[] toBytes() {
        return JsonTrees.write(root);
    }

    ObjectNode root() {
        return root;
    }

    ArrayNode manifests() {
        return (ArrayNode) root.get("manifests");
    }

    List<Descriptor> descriptors() {
        List<Descriptor> out = new ArrayList<>();
        for (int i = 0; i < manifests().size(); i++) {
            out.add(toDescriptor(manifests().get(i), "index.json: manifests[" + i + "]"));
        }
        return out;
    }

    /** Entries whose ref.name is {@code name}. */
    List<Descriptor> named(String name) {
        List<Descriptor> out = new ArrayList<>();
        for (Descriptor d : descriptors()) {
            if (name.equals(d.annotation(Descriptor.REF_NAME_ANNOTATION))) {
                out.add(d);
            }
        }
        return out;
    }

    /** Removes every entry named {@code name}; true if there was one. */
    boolean remove(String name) {
        boolean removed = false;
        for (Iterator<JsonNode> it = manifests().elements(); it.hasNext(); ) {
            JsonNode annotations = it.next().get("annotations");
            if (annotations != null && annotations.isObject()
                    && name.equals(annotations.path(Descriptor.REF_NAME_ANNOTATION).textValue())) {
                it.remove();
                removed = true;
            }
        }
        return removed;
    }

    /** Appends {@code target}, named {@code name}. */
    void add(String name, Descriptor target) {
        Map<String, String> annotations = new LinkedHashMap<>(target.annotations());
        annotations.put(Descriptor.REF_NAME_ANNOTATION, name);
        manifests().add(toJson(target.withAnnotations(annotations)));
    }

    static ObjectNode toJson(Descriptor d) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("mediaType", d.mediaType());
        node.put("digest", d.digest().toString());
        node.put("size", d.size());
        if (!d.urls().isEmpty()) {
            ArrayNode urls = node.putArray("urls");
            d.urls().forEach(urls::add);
        }
        if (!d.annotations().isEmpty()) {
            ObjectNode annotations = node.putObject("annotations");
            // Sorted so that index.json does not change between runs for the same content.
            d.annotations().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> annotations.put(e.getKey(), e.getValue()));
        }
        if (d.platform() != null) {
            Platform p = d.platform();
            ObjectNode platform = node.putObject("platform");
            platform.put("architecture", p.architecture());
            platform.put("os", p.os());
            if (p.osVersion() != null) {
                platform.put("os.version", p.osVersion());
            }
            if (!p.osFeatures().isEmpty()) {
                ArrayNode features = platform.putArray("os.features");
                p.osFeatures().forEach(features::add);
            }
            if (p.variant() != null) {
                platform.put("variant", p.variant());
            }
        }
        if (d.artifactType() != null) {
            node.put("artifactType", d.artifactType());
        }
        return node;
    }

    /** Strict conversion of one descriptor; {@code where} names it in errors. */
    static Descriptor toDescriptor(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new InvalidImageException(where + ": descriptor must be an object");
        }
        String mediaType = requiredText(node, "mediaType", where);
        Digest digest = digest(node, where);
        JsonNode size = node.get("size");
        if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
            throw new InvalidImageException(where + ".size: must be a non-negative integer, got " + size);
        }
        List<String> urls = stringList(node.get("urls"), where + ".urls");
        Map<String, String> annotations = new LinkedHashMap<>();
        JsonNode ann = node.get("annotations");
        if (ann != null && !ann.isNull()) {
            if (!ann.isObject()) {
                throw new InvalidImageException(where + ".annotations: must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = ann.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new InvalidImageException(where + ".annotations." + e.getKey() + ": must be a string");
                }
                annotations.put(e.getKey(), e.getValue().textValue());
            }
        }
        Platform platform = null;
        JsonNode p = node.get("platform");
        if (p != null && !p.isNull()) {
            if (!p.isObject()) {
                throw new InvalidImageException(where + ".platform: must be an object");
            }
            platform = new Platform(requiredText(p, "os", where + ".platform"),
                    requiredText(p, "architecture", where + ".platform"),
                    optionalText(p, "variant", where + ".platform"),
                    optionalText(p, "os.version", where + ".platform"),
                    stringList(p.get("os.features"), where + ".platform.os.features"));
        }
        String artifactType = optionalText(node, "artifactType", where);
        return new Descriptor(mediaType, digest, size.asLong(), urls, annotations, platform, artifactType);
    }

    /** The descriptor's digest, parsed strictly: a bad one is an invalid image, never a path. */
    static Digest digest(JsonNode node, String where) {
        String text = requiredText(node, "digest", where);
        try {
            return Digest.parse(text);
        } catch (InvalidDigestException e) {
            throw new InvalidImageException(where + ".digest: " + e.getMessage(), e);
        }
    }

    private static String requiredText(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
            throw new InvalidImageException(where + "." + field + ": must be a non-empty string");
        }
        return v.textValue();
    }

    private static String optionalText(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new InvalidImageException(where + "." + field + ": must be a string");
        }
        return v.textValue();
    }

    private static List<String> stringList(JsonNode v, String where) {
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new InvalidImageException(where + ": must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new InvalidImageException(where + ": must be an array of strings");
            }
            out.add(e.textValue());
        }
        return out;
    }
}
