package dev.strata.image.registry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the credentials for a registry. The key is the registry as written in image references
 * ({@code docker.io}, {@code quay.io}, {@code localhost:5000}); implementations map it to the spelling of their
 * file ({@code https://index.docker.io/v1/} for Docker Hub in Docker's config).
 */
public interface CredentialStore {

    /** The credentials for {@code registry}, or empty for anonymous access. */
    Optional<Credentials> lookup(String registry);

    /** Anonymous everywhere. */
    static CredentialStore none() {
        return registry -> Optional.empty();
    }

    /** Exactly these credentials for exactly this registry, nothing elsewhere. */
    static CredentialStore of(String registry, Credentials credentials) {
        return r -> r.equals(registry) ? Optional.of(credentials) : Optional.empty();
    }

    /** Asks each store in turn; the first answer wins. */
    static CredentialStore chain(List<CredentialStore> stores) {
        List<CredentialStore> copy = List.copyOf(stores);
        return registry -> {
            for (CredentialStore s : copy) {
                Optional<Credentials> c = s.lookup(registry);
                if (c.isPresent()) {
                    return c;
                }
            }
            return Optional.empty();
        };
    }

    /**
     * A Docker/containers {@code auth.json}/{@code config.json} file: {@code auths} entries (base64
     * {@code user:password} in {@code auth}, or {@code identitytoken}), {@code credHelpers} per registry and a
     * default {@code credsStore}, both run as {@code docker-credential-<name> get}. A missing file is empty.
     */
    static CredentialStore authFile(Path file) {
        return new AuthFileCredentials(file, CredentialHelper.onPath());
    }

    /**
     * The lookup order of podman/skopeo, then Docker: {@code $REGISTRY_AUTH_FILE},
     * {@code $XDG_RUNTIME_DIR/containers/auth.json}, {@code ~/.docker/config.json} (or
     * {@code $DOCKER_CONFIG/config.json}).
     */
    static CredentialStore defaults() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** {@link #defaults()} with an explicit environment and home directory (for tests and embedders). */
    static CredentialStore fromEnvironment(Map<String, String> env, Path home) {
        List<CredentialStore> stores = new ArrayList<>();
        String registryAuthFile = env.get("REGISTRY_AUTH_FILE");
        if (registryAuthFile != null && !registryAuthFile.isEmpty()) {
            stores.add(authFile(Path.of(registryAuthFile)));
        }
        String runtimeDir = env.get("XDG_RUNTIME_DIR");
        if (runtimeDir != null && !runtimeDir.isEmpty()) {
            stores.add(authFile(Path.of(runtimeDir, "containers", "auth.json")));
        }
        String dockerConfig = env.get("DOCKER_CONFIG");
        stores.add(authFile(dockerConfig != null && !dockerConfig.isEmpty()
                ? Path.of(dockerConfig, "config.json") : home.resolve(".docker").resolve("config.json")));
        return chain(stores);
    }
}
