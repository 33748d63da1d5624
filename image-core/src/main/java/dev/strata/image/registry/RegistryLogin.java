package dev.strata.image.registry;

import dev.strata.image.reference.ImageReference;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code login} and {@code logout}: credentials checked against the registry before they are stored, in the file
 * podman writes ({@link #defaultAuthFile}) or the credential helper that file names.
 */
public final class RegistryLogin {
    private RegistryLogin() {
    }

    /**
     * Where credentials are written: {@code $REGISTRY_AUTH_FILE}, else {@code $XDG_RUNTIME_DIR/containers/auth.json},
     * else {@code ~/.docker/config.json}, as podman chooses.
     */
    public static Path defaultAuthFile(Map<String, String> env, Path home) {
        String file = env.get("REGISTRY_AUTH_FILE");
        if (file != null && !file.isEmpty()) {
            return Path.of(file);
        }
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty()) {
            return Path.of(runtime, "containers", "auth.json");
        }
        return home.resolve(".docker").resolve("config.json");
    }

    /**
     * Checks {@code credentials} against {@code registry} (the token or basic flow its {@code /v2/} asks for) and
     * then stores them in {@code authFile}.
     *
     * @throws dev.strata.image.AuthenticationException when the registry refuses them; nothing is stored
     */
    public static void login(String registry, Credentials credentials, Path authFile, RegistryOptions options)
            throws IOException {
        String host = registryHost(registry);
        RegistryClient.create(host, options.withCredentials(CredentialStore.of(host, credentials))).ping();
        new AuthFileCredentials(authFile, CredentialHelper.onPath()).store(host, credentials);
    }

    /** Forgets the credentials of {@code registry}; false when none were stored. */
    public static boolean logout(String registry, Path authFile) throws IOException {
        return new AuthFileCredentials(authFile, CredentialHelper.onPath()).erase(registryHost(registry));
    }

    /** Forgets every credential the file holds itself (helpers keep theirs); how many went. */
    public static int logoutAll(Path authFile) throws IOException {
        return new AuthFileCredentials(authFile, CredentialHelper.onPath()).eraseAll();
    }

    /** {@code docker://host:port/...}, {@code https://host/} and {@code host} all name the host. */
    static String registryHost(String registry) {
        String r = registry.startsWith("docker://") ? registry.substring("docker://".length()) : registry;
        r = AuthFileCredentials.normalizeKey(r);
        // Validated as a reference's registry part: a host, optionally with a port.
        return new ImageReference(r, "strata-probe", "latest", null).registry();
    }
}
