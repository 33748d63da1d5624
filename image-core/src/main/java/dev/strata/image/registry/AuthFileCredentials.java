package dev.strata.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.AuthenticationException;
import dev.strata.image.internal.JsonTrees;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a Docker {@code config.json} or containers {@code auth.json} on each lookup (so a {@code login} in
 * another process is seen). Keys are matched by registry host only: {@code https://index.docker.io/v1/},
 * {@code index.docker.io}, {@code registry-1.docker.io} and {@code docker.io} all mean Docker Hub.
 */
final class AuthFileCredentials implements CredentialStore {
    /** The key Docker uses for Docker Hub, also what its credential helpers expect as server URL. */
    static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";
    /** An auth file is small; anything bigger is not one. */
    private static final long MAX_FILE_SIZE = 4L * 1024 * 1024;

    private final Path file;
    private final CredentialHelper helper;

    AuthFileCredentials(Path file, CredentialHelper helper) {
        this.file = file;
        this.helper = helper;
    }

    @Override
    public Optional<Credentials> lookup(String registry) {
        JsonNode root = read();
        if (root == null) {
            return Optional.empty();
        }
        String wanted = normalizeKey(registry);
        JsonNode helpers = root.path("credHelpers");
        for (Iterator<Map.Entry<String, JsonNode>> it = helpers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (normalizeKey(e.getKey()).equals(wanted) && e.getValue().isTextual()) {
                return helper.get(e.getValue().asText(), serverUrl(registry));
            }
        }
        JsonNode auths = root.path("auths");
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (normalizeKey(e.getKey()).equals(wanted)) {
                Optional<Credentials> c = fromAuthEntry(e.getKey(), e.getValue());
                if (c.isPresent()) {
                    return c;
                }
            }
        }
        JsonNode store = root.path("credsStore");
        if (store.isTextual() && !store.asText().isEmpty()) {
            return helper.get(store.asText(), serverUrl(registry));
        }
        return Optional.empty();
    }

    private Optional<Credentials> fromAuthEntry(String key, JsonNode entry) {
        String identityToken = entry.path("identitytoken").asText("");
        String auth = entry.path("auth").asText("");
        String user = "";
        String secret = "";
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new AuthenticationException("invalid base64 in 'auth' for '" + key + "' in " + file);
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new AuthenticationException("'auth' for '" + key + "' in " + file
                        + " does not decode to user:password");
            }
            user = decoded.substring(0, colon);
            secret = decoded.substring(colon + 1);
        } else {
            user = entry.path("username").asText("");
            secret = entry.path("password").asText("");
        }
        if (user.isEmpty() && secret.isEmpty() && identityToken.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Credentials(user, secret, identityToken));
    }

    private JsonNode read() {
        try {
            if (Files.size(file) > MAX_FILE_SIZE) {
                throw new AuthenticationException("credentials file " + file + " is larger than " + MAX_FILE_SIZE
                        + " bytes");
            }
            JsonNode root = JsonTrees.read(Files.readAllBytes(file));
            if (root == null || !root.isObject()) {
                throw new AuthenticationException("credentials file " + file + " is not a JSON object");
            }
            return root;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new AuthenticationException("cannot read credentials file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores {@code credentials} for {@code registry}: through the credential helper the file names for it
     * ({@code credHelpers}, else {@code credsStore}), else as an {@code auths} entry. Every other field of the file
     * is kept; the file is replaced atomically, mode 0600, its directory made 0700 when missing.
     */
    void store(String registry, Credentials credentials) throws IOException {
        JsonNode root = read();
        com.fasterxml.jackson.databind.node.ObjectNode obj = root != null ? (com.fasterxml.jackson.databind.node
                .ObjectNode) root : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        Optional<String> helperName = helperFor(obj, registry);
        if (helperName.isPresent()) {
            helper.store(helperName.get(), serverUrl(registry), credentials);
            return;
        }
        com.fasterxml.jackson.databind.node.ObjectNode auths = obj.has("auths") && obj.get("auths").isObject()
                ? (com.fasterxml.jackson.databind.node.ObjectNode) obj.get("auths") : obj.putObject("auths");
        removeKeys(auths, registry);
        com.fasterxml.jackson.databind.node.ObjectNode entry = auths.putObject(serverUrl(registry));
        if (credentials.hasIdentityToken()) {
            entry.put("identitytoken", credentials.identityToken());
        } else {
            entry.put("auth", Base64.getEncoder().encodeToString((credentials.username() + ":"
                    + credentials.secret()).getBytes(StandardCharsets.UTF_8)));
        }
        write(obj);
    }

    /** Removes what is stored for {@code registry} (in the file and in its helper); true if anything was. */
    boolean erase(String registry) throws IOException {
        JsonNode root = read();
        if (root == null) {
            return false;
        }
        com.fasterxml.jackson.databind.node.ObjectNode obj = (com.fasterxml.jackson.databind.node.ObjectNode) root;
        boolean found = false;
        Optional<String> helperName = helperFor(obj, registry);
        if (helperName.isPresent()) {
            helper.erase(helperName.get(), serverUrl(registry));
            found = true;
        }
        JsonNode auths = obj.get("auths");
        if (auths != null && auths.isObject()) {
            found |= removeKeys((com.fasterxml.jackson.databind.node.ObjectNode) auths, registry);
            write(obj);
        }
        return found;
    }

    /** Removes every {@code auths} entry; helpers keep theirs. Returns how many went. */
    int eraseAll() throws IOException {
        JsonNode root = read();
        if (root == null || !root.path("auths").isObject() || root.path("auths").isEmpty()) {
            return 0;
        }
        int n = root.path("auths").size();
        ((com.fasterxml.jackson.databind.node.ObjectNode) root).putObject("auths");
        write(root);
        return n;
    }

    private static Optional<String> helperFor(JsonNode root, String registry) {
        String wanted = normalizeKey(registry);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("credHelpers").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (normalizeKey(e.getKey()).equals(wanted) && e.getValue().isTextual()) {
                return Optional.of(e.getValue().asText());
            }
        }
        JsonNode store = root.path("credsStore");
        return store.isTextual() && !store.asText().isEmpty() ? Optional.of(store.asText()) : Optional.empty();
    }

    private static boolean removeKeys(com.fasterxml.jackson.databind.node.ObjectNode auths, String registry) {
        String wanted = normalizeKey(registry);
        java.util.List<String> keys = new java.util.ArrayList<>();
        auths.fieldNames().forEachRemaining(k -> {
            if (normalizeKey(k).equals(wanted)) {
                keys.add(k);
            }
        });
        keys.forEach(auths::remove);
        return !keys.isEmpty();
    }

    private void write(JsonNode root) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        }
        // A new file (O_EXCL) of mode 0600 in the same directory, renamed over the name: never written through a
        // link someone planted there, never readable by others for a moment.
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, JsonTrees.write(root, true), java.nio.file.StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The server URL credential helpers and Docker's config use for a registry. */
    static String serverUrl(String registry) {
        return isDockerHub(registry) ? DOCKER_HUB_KEY : registry;
    }

    /** {@code https://host:port/path} → {@code host:port}; every Docker Hub spelling → {@code docker.io}. */
    static String normalizeKey(String key) {
        String k = key.trim();
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            k = k.substring(0, slash);
        }
        k = k.toLowerCase(java.util.Locale.ROOT);
        return isDockerHub(k) ? "docker.io" : k;
    }

    private static boolean isDockerHub(String host) {
        return host.equals("docker.io") || host.equals("index.docker.io") || host.equals("registry-1.docker.io");
    }
}
