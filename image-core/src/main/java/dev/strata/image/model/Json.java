package dev.strata.image.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.InvalidImageException;
import dev.strata.image.internal.JsonTrees;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The one place that touches Jackson for image documents: a hardened reader (duplicate keys refused, nesting
 * and number length bounded, trailing content refused) and a compact writer. Package-private on purpose.
 */
final class Json {
    /** Far below any real manifest or config, far above what a hostile document needs to hurt the stack. */
    static final int MAX_NESTING_DEPTH = 64;
    /** A size or schemaVersion never needs more digits; longer numbers are refused before they are converted. */
    static final int MAX_NUMBER_LENGTH = 64;
    private static final int MAX_PATH_PARTS = 12;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .maxStringLength(Manifests.MAX_DOCUMENT_SIZE)
                    .build())
            .build();

    private Json() {
    }

    /**
     * Parses {@code raw} (already size-checked) as exactly one JSON object.
     *
     * @param document names the document in error messages, e.g. {@code image manifest sha256:…}
     * @throws InvalidImageException with the JSON path where the syntax broke
     */
    static JsonField readObject(byte[] raw, String document) {
        refuseByteOrderMark(raw, document);
        countEntries(raw, document);
        try (JsonParser parser = FACTORY.createParser(raw)) {
            JsonNode root;
            try {
                root = JsonTrees.readValue(parser);
            } catch (JsonProcessingException e) {
                throw syntaxError(parser, e, document);
            }
            if (root == null || root.isMissingNode()) {
                throw new InvalidImageException("$: empty document (" + document + ")");
            }
            JsonToken trailing;
            try {
                trailing = parser.nextToken();
            } catch (JsonProcessingException e) {
                throw new InvalidImageException("$: unexpected content after the JSON document: "
                        + e.getOriginalMessage() + " (" + document + ")", e);
            }
            if (trailing != null) {
                throw new InvalidImageException("$: unexpected content after the JSON document at "
                        + location(parser) + " (" + document + ")");
            }
            JsonField field = new JsonField(root, "$", document);
            if (!root.isObject()) {
                throw field.fail("expected a JSON object, got " + JsonField.typeName(root));
            }
            return field;
        } catch (IOException e) {
            // reading a byte array cannot fail with plain I/O; anything here is a syntax problem
            throw new InvalidImageException("$: unreadable JSON: " + e.getMessage() + " (" + document + ")", e);
        }
    }

    /**
     * Entries one array or object of a manifest, index or config may hold: history, layers, diff_ids, the manifests
     * of an index, env, labels, annotations. Real images stay far below (history and layers are a few hundred at
     * most); a 3 MB config of a million history entries would otherwise become a tree of hundreds of MB.
     */
    static final int MAX_ENTRIES = 10_000;

    /**
     * Counts every array's and object's entries on a streaming pass before any tree is built, and refuses the first
     * over {@link #MAX_ENTRIES}, naming its JSON path. Syntax errors are left to the real parse.
     */
    private static void countEntries(byte[] raw, String document) {
        try (JsonParser p = FACTORY.createParser(raw)) {
            int[] counts = new int[MAX_NESTING_DEPTH + 2];
            int depth = 0;
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (depth > 0 && t != JsonToken.END_ARRAY && t != JsonToken.END_OBJECT
                        && t != JsonToken.FIELD_NAME && ++counts[depth] > MAX_ENTRIES) {
                    throw new InvalidImageException(pathOf(p.getParsingContext().getParent()) + ": more than "
                            + MAX_ENTRIES + " entries in one list or object (" + document + ")");
                }
                if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) {
                    depth++;
                    counts[depth] = 0;
                } else if (t == JsonToken.END_ARRAY || t == JsonToken.END_OBJECT) {
                    depth--;
                }
            }
        } catch (IOException e) {
            // malformed: the parse that follows reports it with its path
        }
    }

    /** A byte-order mark before the JSON is an error, as Go's encoding/json (the registries' peers) makes it. */
    private static void refuseByteOrderMark(byte[] raw, String document) {
        boolean utf8 = raw.length >= 3 && (raw[0] & 0xff) == 0xEF && (raw[1] & 0xff) == 0xBB && (raw[2] & 0xff) == 0xBF;
        boolean utf16 = raw.length >= 2 && (((raw[0] & 0xff) == 0xFE && (raw[1] & 0xff) == 0xFF)
                || ((raw[0] & 0xff) == 0xFF && (raw[1] & 0xff) == 0xFE));
        if (utf8 || utf16) {
            throw new InvalidImageException("$: the document starts with a byte-order mark; JSON documents are plain "
                    + "UTF-8 (" + document + ")");
        }
    }

    private static InvalidImageException syntaxError(JsonParser parser, JsonProcessingException e, String document) {
        String cause = e.getOriginalMessage();
        if (cause != null) {
            cause = cause.replace('\n', ' ');
            // Jackson's messages end in a hint about its own settings, which means nothing to our users
            int hint = cause.indexOf(" (by default");
            if (hint < 0) {
                hint = cause.indexOf(" (use `");
            }
            if (hint > 0) {
                cause = cause.substring(0, hint);
            }
            cause = cause.replaceAll(", from `[^`]*`", "");
        }
        return new InvalidImageException(pathOf(parser.getParsingContext()) + ": invalid JSON at "
                + location(parser) + ": " + cause + " (" + document + ")", e);
    }

    private static String location(JsonParser parser) {
        var loc = parser.currentLocation();
        return "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    /** {@code $.layers[2].digest} from the parser's position. */
    static String pathOf(JsonStreamContext context) {
        List<String> parts = new ArrayList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.add("[" + Math.max(c.getCurrentIndex(), 0) + "]");
            } else if (c.inObject() && c.getCurrentName() != null) {
                parts.add(JsonField.member(c.getCurrentName()));
            }
        }
        Collections.reverse(parts);
        if (parts.size() > MAX_PATH_PARTS) {
            // a hostile nesting would otherwise make the message as long as the document
            int hidden = parts.size() - MAX_PATH_PARTS;
            parts = new ArrayList<>(parts.subList(0, MAX_PATH_PARTS));
            parts.add("…(" + hidden + " more levels)");
        }
        return "$" + String.join("", parts);
    }

    /** Writes a document with {@code body}; the output is compact (no whitespace), UTF-8. */
    static byte[] write(JsonBody body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.writeTo(g);
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory", e);
        }
        return out.toByteArray();
    }

    @FunctionalInterface
    interface JsonBody {
        void writeTo(JsonGenerator g) throws IOException;
    }
}
