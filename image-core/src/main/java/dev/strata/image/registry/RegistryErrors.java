package dev.strata.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.AuthenticationException;
import dev.strata.image.ErrorKind;
import dev.strata.image.NotFoundException;
import dev.strata.image.StrataException;
import dev.strata.image.UnavailableException;
import dev.strata.image.internal.JsonTrees;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a failed registry response (status and the distribution-spec error body
 * {@code {"errors":[{"code":…,"message":…}]}}) into a typed exception whose message says what was asked,
 * the status and the registry's own codes and messages.
 */
final class RegistryErrors {
    /** Error bodies are read with this cap; the rest is discarded. */
    static final int MAX_ERROR_BODY = 1024 * 1024;

    private RegistryErrors() {
    }

    /** One entry of the {@code errors} array. */
    record RegistryError(String code, String message) {
        @Override
        public String toString() {
            return message == null || message.isEmpty() ? code : code + ": " + message;
        }
    }

    static StrataException toException(String what, int status, byte[] body) {
        List<RegistryError> errors = parse(body);
        String detail = describe(status, errors, body);
        String message = what + " failed: " + detail;
        boolean unknown = errors.stream().anyMatch(e -> e.code().endsWith("_UNKNOWN") || e.code().equals("NAME_UNKNOWN"));
        boolean denied = errors.stream().anyMatch(e -> e.code().equals("UNAUTHORIZED") || e.code().equals("DENIED"));
        boolean throttled = errors.stream().anyMatch(e -> e.code().equals("TOOMANYREQUESTS"));
        if (denied || status == 401 || status == 403) {
            return new AuthenticationException(message);
        }
        if (throttled || RetryPolicy.isRetryableStatus(status)) {
            return new UnavailableException(message);
        }
        if (errors.stream().anyMatch(e -> e.code().equals("DIGEST_INVALID"))) {
            return new dev.strata.image.DigestMismatchException(message);
        }
        if (unknown || status == 404) {
            return new NotFoundException(message);
        }
        return new StrataException(status == 400 || status == 405 || status == 413 || status == 416
                ? ErrorKind.INVALID_ARGUMENT : ErrorKind.FAILED_PRECONDITION, message);
    }

    static String describe(int status, List<RegistryError> errors, byte[] body) {
        StringBuilder sb = new StringBuilder("HTTP ").append(status);
        if (!errors.isEmpty()) {
            sb.append(" ").append(errors);
        } else if (body != null && body.length > 0) {
            String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8)
                    .replaceAll("[\\p{Cntrl}]", " ").trim();
            if (!text.isEmpty()) {
                sb.append(" (").append(text).append(body.length > 200 ? "…" : "").append(")");
            }
        }
        return sb.toString();
    }

    /** The error entries, or an empty list when the body is not the spec's JSON. */
    static List<RegistryError> parse(byte[] body) {
        List<RegistryError> out = new ArrayList<>();
        if (body == null || body.length == 0 || body.length > MAX_ERROR_BODY) {
            return out;
        }
        try {
            JsonNode root = JsonTrees.read(body);
            JsonNode errors = root == null ? null : root.get("errors");
            if (errors == null || !errors.isArray()) {
                return out;
            }
            for (JsonNode e : errors) {
                if (out.size() == 10) {
                    break;
                }
                String code = e.path("code").asText("");
                String message = e.path("message").asText("");
                if (!code.isEmpty()) {
                    out.add(new RegistryError(abbreviate(code, 64), abbreviate(message, 300)));
                }
            }
        } catch (IOException e) {
            // Not JSON: the caller reports the status and the first bytes instead.
        }
        return out;
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }
}
