package dev.strata.image.registry;

import java.util.Objects;

/**
 * What to present to one registry: a user name with a password (or token used as a password), or an OAuth2
 * identity (refresh) token as {@code docker login} stores it for some registries. {@link #toString()} never shows
 * a secret.
 *
 * @param username      may be empty when only an identity token is known
 * @param secret        password or personal access token; may be empty with an identity token
 * @param identityToken OAuth2 refresh token, or null
 */
public record Credentials(String username, String secret, String identityToken) {

    public Credentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(secret, "secret");
        if (identityToken != null && identityToken.isEmpty()) {
            identityToken = null;
        }
    }

    public static Credentials basic(String username, String secret) {
        return new Credentials(username, secret, null);
    }

    public boolean hasIdentityToken() {
        return identityToken != null;
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", secret=" + (secret.isEmpty() ? "<none>" : "<hidden>")
                + (identityToken != null ? ", identityToken=<hidden>" : "") + "]";
    }
}
