package dev.strata.image.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.strata.image.AuthenticationException;
import dev.strata.image.DigestMismatchException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.UnavailableException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;
import dev.strata.image.testing.OciImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * RegistryClient against small misbehaving HTTP servers on loopback: redirects (credentials never cross hosts,
 * hop limit), oversized and mislabelled manifests, bytes that do not match the requested digest.
 */
class RegistryProtocolTest {
    private final List<HttpServer> servers = new ArrayList<>();

    /** A request a test server saw. */
    record Seen(String method, String path, String authorization) {
    }

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private HttpServer server(String address, List<Seen> log, Consumer<HttpExchange> handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 8);
        s.createContext("/", ex -> {
            try (ex) {
                log.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().toString(),
                        ex.getRequestHeaders().getFirst("Authorization")));
                handler.accept(ex);
            }
        });
        s.start();
        servers.add(s);
        return s;
    }

    private static String host(HttpServer s) {
        return s.getAddress().getAddress().getHostAddress() + ":" + s.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, Map<String, String> headers, byte[] body) {
        try {
            headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
            if (!head && body.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static RegistryOptions options() {
        return RegistryOptions.anonymous().withRetryPolicy(new RetryPolicy(2, Duration.ofMillis(1),
                Duration.ofMillis(5), Duration.ofMillis(5)));
    }

    @Test
    void authorizationIsDroppedOnRedirectToAnotherHostAndKeptOnTheSameHost() throws Exception {
        byte[] blob = "layer bytes served by the storage host".getBytes(StandardCharsets.UTF_8);
        Descriptor desc = new Descriptor(MediaType.OCI_LAYER, Digest.sha256(blob), blob.length);
        List<Seen> storageLog = new CopyOnWriteArrayList<>();
        // 127.0.0.2 is loopback too, but a different host to the client: it stands for a CDN.
        HttpServer storage = server("127.0.0.2", storageLog, ex -> reply(ex, 200, Map.of(), blob));
        List<Seen> registryLog = new CopyOnWriteArrayList<>();
        HttpServer registry = server("127.0.0.1", registryLog, ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null) {
                reply(ex, 401, Map.of("WWW-Authenticate", "Basic realm=\"test\""), new byte[0]);
            } else if (ex.getRequestURI().getPath().startsWith("/v2/")) {
                reply(ex, 307, Map.of("Location", "/internal/hop"), new byte[0]);
            } else {
                reply(ex, 307, Map.of("Location", "http://" + host(storage) + "/cdn/blob"), new byte[0]);
            }
        });
        RegistryClient client = RegistryClient.create(host(registry), options().withCredentials(
                CredentialStore.of(host(registry), Credentials.basic("alice", "secret"))));

        byte[] got;
        try (InputStream in = client.fetchBlob("repo", desc)) {
            got = in.readAllBytes();
        }

        assertThat(got).isEqualTo(blob);
        assertThat(storageLog).hasSize(1);
        assertThat(storageLog.get(0).authorization()).isNull();
        assertThat(registryLog).extracting(Seen::path).containsExactly(
                "/v2/repo/blobs/" + desc.digest(), "/v2/repo/blobs/" + desc.digest(), "/internal/hop");
        assertThat(registryLog.get(1).authorization()).startsWith("Basic ");
        assertThat(registryLog.get(2).authorization()).isEqualTo(registryLog.get(1).authorization());
    }

    @Test
    void redirectLoopStopsAfterTenHops() throws Exception {
        List<Seen> log = new CopyOnWriteArrayList<>();
        HttpServer s = server("127.0.0.1", log, ex -> reply(ex, 302, Map.of("Location", "/v2/again"), new byte[0]));
        RegistryClient client = RegistryClient.create(host(s), options().withRetryPolicy(RetryPolicy.none()));
        assertThatThrownBy(client::ping).isInstanceOf(UnavailableException.class)
                .hasMessageContaining("more than 10 redirects");
        assertThat(log).hasSize(11);
    }

    @Test
    void manifestLargerThanTheCapIsRefusedWithoutReadingItAll() throws Exception {
        byte[] huge = new byte[RegistryClient.MAX_MANIFEST_SIZE + 1];
        java.util.Arrays.fill(huge, (byte) ' ');
        HttpServer s = server("127.0.0.1", new CopyOnWriteArrayList<>(), ex -> {
            try {
                ex.getResponseHeaders().add("Content-Type", MediaType.OCI_MANIFEST);
                ex.sendResponseHeaders(200, 0); // chunked: no Content-Length to trust or distrust
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(huge);
                }
            } catch (IOException e) {
                // the client stops reading at the cap and hangs up
            }
        });
        assertThatThrownBy(() -> RegistryClient.create(host(s), options()).getManifest("repo", "big"))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("larger than " + RegistryClient.MAX_MANIFEST_SIZE + " bytes")
                .hasMessageContaining("repo:big");
    }

    @Test
    void contentTypeThatContradictsTheBodyIsInvalid() throws Exception {
        byte[] manifest = OciImages.image(new Platform("linux", "amd64"), Map.of("a", "b")).manifest().raw();
        HttpServer s = server("127.0.0.1", new CopyOnWriteArrayList<>(), ex ->
                reply(ex, 200, Map.of("Content-Type", MediaType.DOCKER_MANIFEST_LIST), manifest));
        assertThatThrownBy(() -> RegistryClient.create(host(s), options()).getManifest("repo", "v1"))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("GET manifest");
    }

    @Test
    void bytesThatDoNotMatchTheRequestedDigestAreRefused() throws Exception {
        byte[] manifest = OciImages.image(new Platform("linux", "amd64"), Map.of("a", "b")).manifest().raw();
        HttpServer s = server("127.0.0.1", new CopyOnWriteArrayList<>(), ex ->
                reply(ex, 200, Map.of("Content-Type", MediaType.OCI_MANIFEST), manifest));
        Digest other = Digest.sha256("something else".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> RegistryClient.create(host(s), options()).getManifest("repo", other.toString()))
                .isInstanceOf(DigestMismatchException.class).hasMessageContaining(other.toString());
    }

    @Test
    void dockerContentDigestThatLiesAboutATaggedManifestIsRefused() throws Exception {
        byte[] manifest = OciImages.image(new Platform("linux", "amd64"), Map.of("a", "b")).manifest().raw();
        Digest other = Digest.sha256("something else".getBytes(StandardCharsets.UTF_8));
        HttpServer s = server("127.0.0.1", new CopyOnWriteArrayList<>(), ex -> reply(ex, 200,
                Map.of("Content-Type", MediaType.OCI_MANIFEST, "Docker-Content-Digest", other.toString()), manifest));
        assertThatThrownBy(() -> RegistryClient.create(host(s), options()).getManifest("repo", "v1"))
                .isInstanceOf(DigestMismatchException.class).hasMessageContaining("Docker-Content-Digest");
    }

    @Test
    void basicChallengeWithoutCredentialsIsAnAuthenticationErrorAfterOneRequest() throws Exception {
        List<Seen> log = new CopyOnWriteArrayList<>();
        HttpServer s = server("127.0.0.1", log, ex ->
                reply(ex, 401, Map.of("WWW-Authenticate", "Basic realm=\"x\""), new byte[0]));
        assertThatThrownBy(() -> RegistryClient.create(host(s), options()).ping())
                .isInstanceOf(AuthenticationException.class).hasMessageContaining("no credentials");
        assertThat(log).hasSize(1);
    }

    @Test
    void invalidRepositoryAndTagNeverReachTheNetwork() throws Exception {
        List<Seen> log = new CopyOnWriteArrayList<>();
        HttpServer s = server("127.0.0.1", log, ex -> reply(ex, 200, Map.of(), new byte[0]));
        RegistryClient client = RegistryClient.create(host(s), options());
        assertThatThrownBy(() -> client.getManifest("../etc", "v1")).hasMessageContaining("invalid repository");
        assertThatThrownBy(() -> client.getManifest("repo", "v1/../../x")).hasMessageContaining("invalid tag");
        assertThatThrownBy(() -> client.getManifest("repo", "sha256:../x")).hasMessageContaining("invalid digest");
        assertThat(log).isEmpty();
    }

    @Test
    void refusedCachedTokenIsReplacedOnceThenTheFailureIsReported() throws Exception {
        java.util.concurrent.atomic.AtomicInteger issued = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> accepted = new java.util.concurrent.atomic.AtomicReference<>();
        List<Seen> tokenLog = new CopyOnWriteArrayList<>();
        HttpServer tokens = server("127.0.0.1", tokenLog, ex -> reply(ex, 200, Map.of(),
                ("{\"token\":\"t" + issued.incrementAndGet() + "\"}").getBytes(StandardCharsets.UTF_8)));
        List<Seen> log = new CopyOnWriteArrayList<>();
        HttpServer s = server("127.0.0.1", log, ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth != null && auth.equals("Bearer " + accepted.get())) {
                reply(ex, 200, Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
            } else {
                reply(ex, 401, Map.of("WWW-Authenticate", "Bearer realm=\"http://" + host(tokens)
                        + "/token\",service=\"svc\""), new byte[0]);
            }
        });
        RegistryClient client = RegistryClient.create(host(s), options());

        accepted.set("t1");
        client.ping();
        assertThat(log).hasSize(2);
        assertThat(tokenLog).hasSize(1);

        accepted.set("t2"); // t1 revoked early: one new token, no more
        client.ping();
        assertThat(log).hasSize(4);
        assertThat(tokenLog).hasSize(2);

        accepted.set("never");
        assertThatThrownBy(client::ping).isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("refused after authenticating");
        assertThat(log).hasSize(6);
        assertThat(tokenLog).hasSize(3);
    }
}
