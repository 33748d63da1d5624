package dev.strata.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.AuthenticationException;
import dev.strata.image.internal.JsonTrees;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Docker credential helper ({@code docker-credential-<name> get}, server URL on stdin, JSON with
 * {@code Username} and {@code Secret} on stdout). A user name of {@code <token>} means the secret is an
 * identity token, as in Docker.
 */
final class CredentialHelper {
    private static final int MAX_OUTPUT = 1024 * 1024;
    private static final long TIMEOUT_SECONDS = 30;

    private final List<Path> searchPath;

    CredentialHelper(List<Path> searchPath) {
        this.searchPath = List.copyOf(searchPath);
    }

    /** Looks helpers up on {@code $PATH}. */
    static CredentialHelper onPath() {
        List<Path> dirs = new ArrayList<>();
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty()) {
                dirs.add(Path.of(d));
            }
        }
        return new CredentialHelper(dirs);
    }

    /** Runs {@code docker-credential-NAME store} with the credentials for {@code serverUrl} on its input. */
    void store(String helperName, String serverUrl, Credentials credentials) {
        com.fasterxml.jackson.databind.node.ObjectNode msg =
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        msg.put("ServerURL", serverUrl);
        msg.put("Username", credentials.hasIdentityToken() ? "<token>" : credentials.username());
        msg.put("Secret", credentials.hasIdentityToken() ? credentials.identityToken() : credentials.secret());
        run(helperName, "store", JsonTrees.write(msg), serverUrl);
    }

    /** Runs {@code docker-credential-NAME erase} for {@code serverUrl}. */
    void erase(String helperName, String serverUrl) {
        run(helperName, "erase", serverUrl.getBytes(StandardCharsets.UTF_8), serverUrl);
    }

    private void run(String helperName, String verb, byte[] input, String serverUrl) {
        Answer a = call(helperName, verb, input, serverUrl);
        if (a.exit() != 0) {
            throw new AuthenticationException("credential helper " + a.program() + " " + verb + " failed for "
                    + serverUrl + " (exit " + a.exit() + "): " + abbreviate(a.text()));
        }
    }

    /** What a helper answered: its exit code and its output, trimmed. */
    private record Answer(String program, int exit, String text) {
    }

    /** Runs {@code docker-credential-NAME VERB} with {@code input} on its standard input, within the timeout. */
    private Answer call(String helperName, String verb, byte[] input, String serverUrl) {
        Path exe = executable(helperName, serverUrl);
        String program = exe.getFileName().toString();
        try {
            Process p = new ProcessBuilder(exe.toString(), verb).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(input);
            }
            byte[] out;
            try (InputStream o = p.getInputStream()) {
                out = o.readNBytes(MAX_OUTPUT);
            }
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AuthenticationException("credential helper " + program + " did not answer within "
                        + TIMEOUT_SECONDS + " s");
            }
            return new Answer(program, p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new AuthenticationException("cannot run credential helper " + program + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuthenticationException("interrupted while running credential helper " + program, e);
        }
    }

    private Path executable(String helperName, String serverUrl) {
        if (helperName.isEmpty() || !helperName.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-'
                || c == '_' || c == '.')) {
            throw new AuthenticationException("invalid credential helper name '" + helperName + "'");
        }
        String program = "docker-credential-" + helperName;
        return searchPath.stream().map(d -> d.resolve(program)).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AuthenticationException("credential helper '" + program
                        + "' for " + serverUrl + " is not installed (not found on PATH)"));
    }

    Optional<Credentials> get(String helperName, String serverUrl) {
        Answer a = call(helperName, "get", serverUrl.getBytes(StandardCharsets.UTF_8), serverUrl);
        if (a.exit() != 0) {
            if (a.text().toLowerCase(java.util.Locale.ROOT).contains("not found")) {
                return Optional.empty();
            }
            throw new AuthenticationException("credential helper " + a.program() + " failed for " + serverUrl
                    + " (exit " + a.exit() + "): " + abbreviate(a.text()));
        }
        try {
            JsonNode answer = JsonTrees.read(a.text().getBytes(StandardCharsets.UTF_8));
            if (answer == null || !answer.isObject()) {
                throw new AuthenticationException("credential helper " + a.program() + " answered no JSON object");
            }
            String user = answer.path("Username").asText("");
            String secret = answer.path("Secret").asText("");
            if (user.equals("<token>")) {
                return Optional.of(new Credentials("", "", secret));
            }
            return Optional.of(Credentials.basic(user, secret));
        } catch (IOException e) {
            throw new AuthenticationException("credential helper " + a.program() + " answered no JSON: "
                    + e.getMessage(), e);
        }
    }


    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
