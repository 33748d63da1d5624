package dev.strata.image.registry;

import dev.strata.image.ErrorKind;
import dev.strata.image.StrataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Mapping of registry statuses and error codes to Strata's error kinds, and readable messages for odd bodies. */
class RegistryErrorsTest {

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "404,MANIFEST_UNKNOWN,NOT_FOUND", "404,BLOB_UNKNOWN,NOT_FOUND", "404,NAME_UNKNOWN,NOT_FOUND",
            "400,MANIFEST_BLOB_UNKNOWN,NOT_FOUND", "404,,NOT_FOUND",
            "401,UNAUTHORIZED,AUTHENTICATION", "403,DENIED,AUTHENTICATION", "403,,AUTHENTICATION",
            "429,TOOMANYREQUESTS,UNAVAILABLE", "503,UNAVAILABLE,UNAVAILABLE", "500,,UNAVAILABLE",
            "400,DIGEST_INVALID,DIGEST_MISMATCH", "400,MANIFEST_INVALID,INVALID_ARGUMENT",
            "409,CONFLICT,FAILED_PRECONDITION"})
    void statusAndCodeGiveTheKind(int status, String code, ErrorKind kind) {
        String body = code == null ? "" : "{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"msg\"}]}";
        StrataException e = RegistryErrors.toException("GET x", status, body.getBytes(StandardCharsets.UTF_8));
        assertThat(e.kind()).isEqualTo(kind);
        assertThat(e.getMessage()).startsWith("GET x failed: HTTP " + status);
        if (code != null) {
            assertThat(e.getMessage()).contains(code + ": msg");
        }
    }

    @Test
    void nonJsonBodyIsQuotedShortAndWithoutControlCharacters() {
        String html = "<html>\n<body>" + "x".repeat(1000) + "</body></html>";
        StrataException e = RegistryErrors.toException("GET y", 502, html.getBytes(StandardCharsets.UTF_8));
        assertThat(e.getMessage()).contains("HTTP 502 (<html> <body>xxx").endsWith("…)").doesNotContain("\n");
        assertThat(e.getMessage().length()).isLessThan(300);
    }
}
