package dev.strata.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.AuthenticationException;
import dev.strata.image.UnavailableException;
import dev.strata.image.internal.JsonTrees;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Answers a registry's {@code WWW-Authenticate} challenges for one registry: {@code Basic} with the registry's
 * credentials, {@code Bearer} with a token fetched from the challenge's realm (anonymously, with the credentials as
 * basic auth, or with an identity token as an OAuth2 refresh token). Tokens are cached per scope until they expire;
 * once a challenge has been seen, later requests get their token before being sent, saving a 401 round trip.
 *
 * <p>Credentials leave the process only towards the registry itself and the realm its challenge names, and
 * towards the realm only over HTTPS or loopback.
 */
final class Authenticator {
    static final int MAX_TOKEN_BODY = 1024 * 1024;
    /** Docker's rule: a token without {@code expires_in} lives 60 s; shorter values are raised to that too. */
    static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
    private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(5);

    /** One parsed challenge: scheme in lowercase, parameter names in lowercase. */
    record Challenge(String scheme, Map<String, String> params) {
        String param(String name) {
            return params.get(name);
        }
    }

    private record Token(String value, Instant expires) {
    }

    private final String registry;
    private final CredentialStore credentialStore;
    private final Supplier<HttpClient> http;
    private final RetryPolicy retryPolicy;
    private final Duration requestTimeout;
    private final TransferLimits limits;
    private final String userAgent;
    private final Clock clock;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private volatile Challenge knownChallenge;
    private volatile Optional<Credentials> credentials;

    Authenticator(String registry, CredentialStore credentialStore, Supplier<HttpClient> http, RetryPolicy retryPolicy,
                  Duration requestTimeout, TransferLimits limits, String userAgent, Clock clock) {
        this.registry = registry;
        this.credentialStore = credentialStore;
        this.http = http;
        this.retryPolicy = retryPolicy;
        this.requestTimeout = requestTimeout;
        this.limits = limits;
        this.userAgent = userAgent;
        this.clock = clock;
    }

    /**
     * The Authorization header to send up front for {@code scopes}, if a challenge was seen before; may fetch a
     * token. Empty when the registry has not asked for authentication (yet).
     */
    Optional<String> preemptive(List<String> scopes) {
        Challenge c = knownChallenge;
        if (c == null) {
            return Optional.empty();
        }
        return Optional.of(answer(c, scopes, false));
    }

    /**
     * Answers a 401. {@code retried} says an Authorization header was already sent with the refused request; a
     * cached token is then dropped and fetched again (an early-expired token), but only once per request.
     *
     * @throws AuthenticationException when no supported challenge is offered or credentials are missing/refused
     */
    String respond(List<String> wwwAuthenticate, List<String> scopes, boolean retried) {
        Challenge chosen = choose(wwwAuthenticate);
        knownChallenge = chosen;
        return answer(chosen, scopes, retried);
    }

    private Challenge choose(List<String> headers) {
        List<Challenge> all = new ArrayList<>();
        for (String h : headers) {
            all.addAll(parseChallenges(h));
        }
        return all.stream().filter(c -> c.scheme().equals("bearer")).findFirst()
                .or(() -> all.stream().filter(c -> c.scheme().equals("basic")).findFirst())
                .orElseThrow(() -> new AuthenticationException("registry " + registry
                        + " requires authentication but offers no supported scheme (WWW-Authenticate: "
                        + (headers.isEmpty() ? "<none>" : abbreviate(String.join(" | ", headers))) + ")"));
    }

    private String answer(Challenge c, List<String> scopes, boolean refresh) {
        if (c.scheme().equals("basic")) {
            Credentials cred = credentials().orElseThrow(() -> new AuthenticationException("registry " + registry
                    + " requires basic authentication and no credentials are configured for it"));
            if (refresh) {
                throw new AuthenticationException("registry " + registry + " refused the credentials of user '"
                        + cred.username() + "'");
            }
            return basicHeader(cred);
        }
        String key = c.param("realm") + " " + c.param("service") + " " + String.join(" ", scopes);
        Token cached = tokens.get(key);
        if (cached != null && !refresh && clock.instant().isBefore(cached.expires())) {
            return "Bearer " + cached.value();
        }
        Token fresh = fetchToken(c, scopes);
        tokens.put(key, fresh);
        return "Bearer " + fresh.value();
    }

    private Optional<Credentials> credentials() {
        Optional<Credentials> c = credentials;
        if (c == null) {
            c = credentialStore.lookup(registry);
            credentials = c;
        }
        return c;
    }

    private Token fetchToken(Challenge c, List<String> scopes) {
        String realm = c.param("realm");
        if (realm == null || realm.isEmpty()) {
            throw new AuthenticationException("registry " + registry + " sent a Bearer challenge without a realm");
        }
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException("registry " + registry + " names an invalid token realm '"
                    + abbreviate(realm) + "'", e);
        }
        String scheme = realmUri.getScheme() == null ? "" : realmUri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("https") || scheme.equals("http")) || realmUri.getHost() == null) {
            throw new AuthenticationException("registry " + registry + " names a token realm that is not an "
                    + "http(s) URL: '" + abbreviate(realm) + "'");
        }
        // Credentials travel to the realm only where they cannot be read on the way.
        Optional<Credentials> cred = scheme.equals("https") || isLoopbackHost(realmUri.getHost())
                ? credentials() : Optional.empty();
        String service = c.param("service");
        HttpRequest request;
        if (cred.isPresent() && cred.get().hasIdentityToken()) {
            StringBuilder form = new StringBuilder("grant_type=refresh_token&client_id=strata");
            form.append("&refresh_token=").append(enc(cred.get().identityToken()));
            if (service != null) {
                form.append("&service=").append(enc(service));
            }
            if (!scopes.isEmpty()) {
                form.append("&scope=").append(enc(String.join(" ", scopes)));
            }
            request = HttpRequest.newBuilder(realmUri).timeout(requestTimeout).header("User-Agent", userAgent)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build();
        } else {
            StringBuilder query = new StringBuilder();
            if (service != null) {
                query.append("service=").append(enc(service));
            }
            for (String s : scopes) {
                query.append(query.length() == 0 ? "" : "&").append("scope=").append(enc(s));
            }
            String base = realm;
            URI uri = URI.create(query.length() == 0 ? base : base + (base.contains("?") ? "&" : "?") + query);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout).header("User-Agent", userAgent)
                    .GET();
            cred.filter(x -> !x.username().isEmpty() || !x.secret().isEmpty())
                    .ifPresent(x -> b.header("Authorization", basicHeader(x)));
            request = b.build();
        }
        return sendTokenRequest(request, scopes);
    }

    private Token sendTokenRequest(HttpRequest request, List<String> scopes) {
        String what = "token request to " + request.uri().getScheme() + "://" + request.uri().getAuthority()
                + request.uri().getPath() + " for " + (scopes.isEmpty() ? "registry " + registry : scopes);
        int attempts = 0;
        while (true) {
            attempts++;
            HttpResponse<InputStream> resp;
            try {
                // The whole answer within the document deadline: a token that drips in is a stall, retried.
                resp = Bodies.exchange(http.get(), request, limits.documentDeadline(), what);
            } catch (IOException e) {
                if (retryPolicy.canRetry(attempts)) {
                    sleep(retryPolicy.delay(attempts, null, clock.instant()));
                    continue;
                }
                throw new UnavailableException(what + " failed after " + attempts + " attempts: "
                        + StalledException.describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException(what + " interrupted", e);
            }
            int status = resp.statusCode();
            if (status == 200) {
                byte[] body;
                try {
                    body = Bodies.readCapped(resp.body(), MAX_TOKEN_BODY);
                } catch (IOException e) {
                    if (retryPolicy.canRetry(attempts)) {
                        continue;
                    }
                    throw new UnavailableException(what + ": reading the answer failed: " + e, e);
                }
                if (body == null) {
                    throw new AuthenticationException(what + ": answer larger than " + MAX_TOKEN_BODY + " bytes");
                }
                return parseToken(body, what);
            }
            byte[] err = Bodies.readForError(resp.body(), RegistryErrors.MAX_ERROR_BODY);
            if (RetryPolicy.isRetryableStatus(status) && retryPolicy.canRetry(attempts)) {
                sleep(retryPolicy.delay(attempts, resp.headers().firstValue("Retry-After").orElse(null),
                        clock.instant()));
                continue;
            }
            String detail = RegistryErrors.describe(status, RegistryErrors.parse(err), err);
            if (status == 401 || status == 403) {
                throw new AuthenticationException(what + " was refused: " + detail
                        + (credentials().isPresent() ? " (credentials for " + registry + " rejected)"
                        : " (no credentials configured for " + registry + ")"));
            }
            if (RetryPolicy.isRetryableStatus(status)) {
                throw new UnavailableException(what + " failed after " + attempts + " attempts: " + detail);
            }
            throw new AuthenticationException(what + " failed: " + detail);
        }
    }

    private Token parseToken(byte[] body, String what) {
        JsonNode root;
        try {
            root = JsonTrees.read(body);
        } catch (IOException e) {
            throw new AuthenticationException(what + ": the answer is not JSON", e);
        }
        if (root == null || !root.isObject()) {
            throw new AuthenticationException(what + ": the answer is not a JSON object");
        }
        String token = root.path("token").asText("");
        if (token.isEmpty()) {
            token = root.path("access_token").asText("");
        }
        if (token.isEmpty()) {
            throw new AuthenticationException(what + ": the answer has no token");
        }
        if (!token.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            throw new AuthenticationException(what + ": the token contains characters not allowed in a header");
        }
        long seconds = root.path("expires_in").asLong(0);
        Duration lifetime = seconds < DEFAULT_TOKEN_LIFETIME.getSeconds() ? DEFAULT_TOKEN_LIFETIME
                : Duration.ofSeconds(Math.min(seconds, Duration.ofDays(1).getSeconds()));
        return new Token(token, clock.instant().plus(lifetime).minus(EXPIRY_MARGIN));
    }

    static String basicHeader(Credentials c) {
        return "Basic " + Base64.getEncoder().encodeToString((c.username() + ":" + c.secret())
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Parses a {@code WWW-Authenticate} value into challenges: {@code Bearer realm="…",service="…",scope="…"},
     * {@code Basic realm="…"}, several challenges separated by commas, quoted strings with escapes.
     */
    static List<Challenge> parseChallenges(String header) {
        List<Challenge> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        int i = 0;
        int n = header.length();
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        while (i < n) {
            while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == ',' || header.charAt(i) == '\t')) {
                i++;
            }
            int start = i;
            while (i < n && isTokenChar(header.charAt(i))) {
                i++;
            }
            if (i == start) {
                i++; // skip a stray character
                continue;
            }
            String token = header.substring(start, i);
            int j = i;
            while (j < n && header.charAt(j) == ' ') {
                j++;
            }
            if (j < n && header.charAt(j) == '=' && scheme != null) {
                i = j + 1;
                while (i < n && header.charAt(i) == ' ') {
                    i++;
                }
                StringBuilder value = new StringBuilder();
                if (i < n && header.charAt(i) == '"') {
                    i++;
                    while (i < n && header.charAt(i) != '"') {
                        char ch = header.charAt(i);
                        if (ch == '\\' && i + 1 < n) {
                            i++;
                            ch = header.charAt(i);
                        }
                        value.append(ch);
                        i++;
                    }
                    i++; // closing quote
                } else {
                    while (i < n && header.charAt(i) != ',' && header.charAt(i) != ' ') {
                        value.append(header.charAt(i));
                        i++;
                    }
                }
                params.putIfAbsent(token.toLowerCase(Locale.ROOT), value.toString());
            } else {
                if (scheme != null) {
                    out.add(new Challenge(scheme, Map.copyOf(params)));
                }
                scheme = token.toLowerCase(Locale.ROOT);
                params = new LinkedHashMap<>();
            }
        }
        if (scheme != null) {
            out.add(new Challenge(scheme, Map.copyOf(params)));
        }
        return out;
    }

    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    static boolean isLoopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        // Only literals are checked: a name is never resolved just to decide where credentials may go.
        boolean ipv4 = h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean ipv6 = h.indexOf(':') >= 0 && h.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':');
        if (!ipv4 && !ipv6) {
            return false;
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted while waiting to retry", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
