package dev.strata.image.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JsonTrees must read and write exactly what ObjectMapper does, which it replaces on the start-up path. */
class JsonTreesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {
            "{}", "[]", "null", "true", "false", "\"text\"", "0", "-1",
            "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
            "123456789012345678901234567890", "1.5", "-0.0", "1e300", "1E-5", "3.141592653589793238462643383279",
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"layers\":[{\"digest\":\"sha256:ab\",\"size\":123,\"annotations\":{\"a\":\"b\"}}]}",
            "{\"a\":[1,[2,[3,{\"b\":null}]]],\"c\":\"\\u00e9\\n\\\"q\\\"\",\"d\":{}}",
            "{\"same\":1,\"same\":2}",
            "[1, 2.0, \"3\", true, null, {\"x\": []}]",
            "  {\"spaces\" :\n [ 1 ,2 ] }  ",
            "{\"a\":1} trailing garbage",
    })
    void readsTheTreeObjectMapperReads(String json) throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        JsonNode expected = MAPPER.readTree(bytes);
        JsonNode actual = JsonTrees.read(bytes);
        assertEquals(expected, actual);
        assertEquals(expected.getNodeType(), actual.getNodeType());
        if (expected.isNumber()) {
            assertEquals(expected.numberType(), actual.numberType(), "number type of " + json);
        }
        assertArrayEquals(MAPPER.writeValueAsBytes(expected), JsonTrees.write(actual), "compact form of " + json);
        assertArrayEquals(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(expected),
                JsonTrees.write(actual, true), "pretty form of " + json);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\n\t "})
    void emptyInputIsMissing(String json) throws Exception {
        assertTrue(JsonTrees.read(json.getBytes(StandardCharsets.UTF_8)).isMissingNode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "[1,", "{\"a\"}", "{\"a\":}", "[1 2]", "{'a':1}", "tru", "\"open"})
    void malformedInputFails(String json) {
        assertThrows(JsonParseException.class, () -> JsonTrees.read(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theFactoryLimitsApply() {
        JsonFactory strict = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(3).build()).build();
        assertThrows(JsonParseException.class,
                () -> JsonTrees.read(strict, "{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(StreamConstraintsException.class,
                () -> JsonTrees.read(strict, "[[[[1]]]]".getBytes(StandardCharsets.UTF_8)));
        // a hostile depth against the default limit fails cleanly instead of overflowing the stack
        byte[] deep = ("[".repeat(100_000) + "]".repeat(100_000)).getBytes(StandardCharsets.UTF_8);
        assertThrows(StreamConstraintsException.class, () -> JsonTrees.read(deep));
    }

    @Test
    void writesTreesBuiltInCode() throws Exception {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("s", "x").put("i", 1).put("l", 1L << 40).put("f", 1.5f).put("d", 2.25).put("b", true).putNull("n");
        n.putArray("a").add(1).addObject().put("k", "v");
        assertArrayEquals(MAPPER.writeValueAsBytes(n), JsonTrees.write(n));
        assertArrayEquals(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(n), JsonTrees.write(n, true));
    }
}
