package dev.strata.image.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.InvalidDigestException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A JSON value together with its path ({@code $.layers[2].digest}), so every error says exactly where the
 * document is wrong. A field that is absent or JSON {@code null} counts as missing: Docker writes {@code null}
 * for empty lists. Package-private: Jackson stays out of the public API.
 */
final class JsonField {
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final JsonNode node;
    private final String path;
    private final String document;

    JsonField(JsonNode node, String path, String document) {
        this.node = node;
        this.path = path;
        this.document = document;
    }

    String path() {
        return path;
    }

    /** The member {@code name} of this object (which may be missing). */
    JsonField get(String name) {
        requireObject();
        return new JsonField(node.get(name), path + member(name), document);
    }

    boolean present() {
        return node != null && !node.isNull();
    }

    /** True when this object has a non-null member {@code name}. */
    boolean has(String name) {
        return get(name).present();
    }

    JsonField requireObject() {
        requirePresent();
        if (!node.isObject()) {
            throw wrongType("an object");
        }
        return this;
    }

    String string() {
        requirePresent();
        if (!node.isTextual()) {
            throw wrongType("a string");
        }
        return node.textValue();
    }

    /** The string, or null when missing. */
    String optString() {
        return present() ? string() : null;
    }

    /** An integer in {@code [0, Long.MAX_VALUE]}, e.g. a descriptor size. */
    long nonNegativeLong() {
        long value = integer();
        if (value < 0) {
            throw fail("must not be negative, got " + value);
        }
        return value;
    }

    long integer() {
        requirePresent();
        if (!node.isNumber()) {
            throw wrongType("an integer");
        }
        if (!node.isIntegralNumber()) {
            throw fail("expected an integer, got " + abbreviate(node.asText()));
        }
        if (!node.canConvertToLong()) {
            throw fail("integer " + abbreviate(node.asText()) + " does not fit in 64 bits");
        }
        return node.longValue();
    }

    boolean optBoolean(boolean absent) {
        if (!present()) {
            return absent;
        }
        if (!node.isBoolean()) {
            throw wrongType("a boolean");
        }
        return node.booleanValue();
    }

    List<JsonField> elements() {
        requirePresent();
        if (!node.isArray()) {
            throw wrongType("an array");
        }
        List<JsonField> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            out.add(new JsonField(node.get(i), path + "[" + i + "]", document));
        }
        return out;
    }

    List<JsonField> optElements() {
        return present() ? elements() : List.of();
    }

    List<String> optStrings() {
        List<String> out = new ArrayList<>();
        for (JsonField e : optElements()) {
            out.add(e.string());
        }
        return List.copyOf(out);
    }

    /** A string-to-string object such as annotations or labels, in document order; empty when missing. */
    Map<String, String> optStringMap() {
        if (!present()) {
            return Map.of();
        }
        requireObject();
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            out.put(e.getKey(), new JsonField(e.getValue(), path + member(e.getKey()), document).string());
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** The member names of an object used as a set (Docker's {@code ExposedPorts}, {@code Volumes}). */
    Set<String> optKeys() {
        if (!present()) {
            return Set.of();
        }
        requireObject();
        Set<String> out = new LinkedHashSet<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonField value = new JsonField(e.getValue(), path + member(e.getKey()), document);
            if (value.present()) {
                value.requireObject();
            }
            out.add(e.getKey());
        }
        return java.util.Collections.unmodifiableSet(out);
    }

    Digest digest() {
        String value = string();
        try {
            return Digest.parse(value);
        } catch (InvalidDigestException e) {
            throw new InvalidImageException(path + ": " + e.getMessage() + " (" + document + ")", e);
        }
    }

    /** An RFC 3339 timestamp, or null when missing. */
    Instant optTimestamp() {
        String value = optString();
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw fail("invalid RFC 3339 timestamp '" + abbreviate(value) + "'");
        }
    }

    InvalidImageException fail(String message) {
        return new InvalidImageException(path + ": " + message + " (" + document + ")");
    }

    private void requirePresent() {
        if (node == null) {
            throw fail("required field is missing");
        }
        if (node.isNull()) {
            throw fail("required field is null");
        }
    }

    private InvalidImageException wrongType(String expected) {
        return fail("expected " + expected + ", got " + typeName(node));
    }

    static String typeName(JsonNode n) {
        if (n.isIntegralNumber()) {
            return "integer " + abbreviate(n.asText());
        }
        if (n.isNumber()) {
            return "number " + abbreviate(n.asText());
        }
        if (n.isTextual()) {
            return "string '" + abbreviate(n.textValue()) + "'";
        }
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** {@code .name}, or {@code ['os.version']} for names that are not plain identifiers. */
    static String member(String name) {
        if (PLAIN_NAME.matcher(name).matches()) {
            return "." + name;
        }
        return "['" + abbreviate(name).replace("\\", "\\\\").replace("'", "\\'") + "']";
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…(" + s.length() + " chars)";
    }
}
