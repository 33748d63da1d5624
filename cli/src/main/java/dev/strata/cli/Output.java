package dev.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;

/** Results go to stdout, as JSON with --json or as aligned "key value" lines for people. */
final class Output {
    /** Built on first use: setting up Jackson costs a quarter of a second that plain output need not pay. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private Output() {
    }

    static void print(Map<String, ?> fields, boolean json) {
        if (json) {
            printJson(fields);
            return;
        }
        int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Collection<?> c && c.isEmpty()) {
                continue;
            }
            System.out.printf("%-" + width + "s  %s%n", e.getKey(), v);
        }
    }

    /** Writes {@code bytes} exactly, with no newline: piped to sha256sum they give the document's digest. */
    static void writeExact(byte[] bytes) {
        System.out.write(bytes, 0, bytes.length);
        System.out.flush();
    }

    static void printJson(Object value) {
        try {
            System.out.println(Json.MAPPER.writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
