package dev.strata.image.registry;

import dev.strata.image.AuthenticationException;
import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.FaultProxy;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TestRegistry;
import dev.strata.image.testing.TokenServer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Authentication against a real docker-registry: token auth (anonymous and credentialed) and htpasswd basic auth. */
class RegistryAuthTest {
    static final String USER = "alice";
    static final String PASSWORD = "wonderland";

    static RegistryOptions options(CredentialStore credentials) {
        return RegistryOptions.anonymous().withCredentials(credentials).withRetryPolicy(new RetryPolicy(2,
                Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(5)));
    }

    static OciImages.Image seed(TestRegistry registry, Path tmp) {
        OciImages.Image app = OciImages.image(new Platform("linux", "amd64"), Map.of("secret.txt", "s3cr3t\n"));
        OciImages.writeLayout(tmp.resolve("layout"), "v1", app);
        registry.seed(tmp.resolve("layout"), "v1", "team/app", "v1", false);
        return app;
    }

    /** Token authentication with a token server that grants anonymous pull and everything to alice. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Token {
        TokenServer tokens;
        TestRegistry registry;
        OciImages.Image app;

        @BeforeAll
        void start(@TempDir Path tmp) throws Exception {
            Capabilities.requireTool("docker-registry");
            Capabilities.requireTool("skopeo");
            Capabilities.requireTool("openssl");
            tokens = new TokenServer(tmp.resolve("tokens"), Map.of(USER, PASSWORD), true);
            registry = TestRegistry.startWithToken(tmp.resolve("registry"), tokens, USER, PASSWORD);
            app = seed(registry, tmp);
        }

        @AfterAll
        void stop() throws Exception {
            if (registry != null) {
                registry.close();
            }
            if (tokens != null) {
                tokens.close();
            }
        }

        @Test
        void anonymousPullFetchesOneTokenAndReusesItForTheScope() {
            int before = tokens.requests().size();
            RegistryClient client = RegistryClient.create(registry.host(), options(CredentialStore.none()));
            assertThat(client.getManifest("team/app", "v1").digest()).isEqualTo(app.manifest().digest());
            assertThat(client.headBlob("team/app", app.configDescriptor().digest()))
                    .hasValue(app.configDescriptor().size());
            assertThat(client.getManifest("team/app", "v1").digest()).isEqualTo(app.manifest().digest());
            List<TokenServer.Request> made = tokens.requests().subList(before, tokens.requests().size());
            assertThat(made).hasSize(1);
            assertThat(made.get(0).authorization()).isNull();
            assertThat(made.get(0).scopes()).containsExactly("repository:team/app:pull");
            assertThat(made.get(0).service()).isEqualTo(TokenServer.SERVICE);
        }

        @Test
        void credentialsGoToTheRealmAsBasicAuth() {
            int before = tokens.requests().size();
            RegistryClient client = RegistryClient.create(registry.host(), options(
                    CredentialStore.of(registry.host(), Credentials.basic(USER, PASSWORD))));
            client.getManifest("team/app", "v1");
            TokenServer.Request r = tokens.requests().get(before);
            assertThat(r.authorization()).isEqualTo(Authenticator.basicHeader(Credentials.basic(USER, PASSWORD)));
        }

        @Test
        void wrongPasswordFailsWithOneRegistryRequestAndOneTokenRequest() throws Exception {
            try (FaultProxy proxy = new FaultProxy(registry.port())) {
                int before = tokens.requests().size();
                RegistryClient client = RegistryClient.create(proxy.host(), options(
                        CredentialStore.of(proxy.host(), Credentials.basic(USER, "wrong"))));
                assertThatThrownBy(() -> client.getManifest("team/app", "v1"))
                        .isInstanceOf(AuthenticationException.class).hasMessageContaining("refused")
                        .hasMessageContaining("HTTP 401");
                assertThat(proxy.requests()).hasSize(1);
                assertThat(tokens.requests().size() - before).isEqualTo(1);
            }
        }

        @Test
        void anonymousPushIsRefusedWithoutARetryStorm() throws Exception {
            try (FaultProxy proxy = new FaultProxy(registry.port())) {
                int before = tokens.requests().size();
                RegistryClient client = RegistryClient.create(proxy.host(), options(CredentialStore.none()));
                assertThatThrownBy(() -> client.startUpload("team/app"))
                        .isInstanceOf(AuthenticationException.class);
                assertThat(proxy.count("POST")).isEqualTo(2);
                assertThat(tokens.requests().size() - before).isEqualTo(1);
                assertThat(tokens.requests().get(before).scopes()).containsExactly("repository:team/app:pull,push");
            }
        }

        @Test
        void credentialedPushIsAllowed() {
            RegistryClient client = RegistryClient.create(registry.host(), options(
                    CredentialStore.of(registry.host(), Credentials.basic(USER, PASSWORD))));
            BlobUpload upload = client.startUpload("team/pushed");
            assertThat(upload.location().getPath()).startsWith("/v2/team/pushed/blobs/uploads/");
        }
    }

    /** Basic authentication with a bcrypt htpasswd file. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Htpasswd {
        TestRegistry registry;
        OciImages.Image app;

        @BeforeAll
        void start(@TempDir Path tmp) throws Exception {
            Capabilities.requireTool("docker-registry");
            Capabilities.requireTool("skopeo");
            Capabilities.require(TestRegistry.canMakeBcrypt(), "needs htpasswd or python3 crypt to make a bcrypt hash");
            registry = TestRegistry.startWithHtpasswd(tmp.resolve("registry"), USER, PASSWORD);
            app = seed(registry, tmp);
        }

        @AfterAll
        void stop() throws Exception {
            if (registry != null) {
                registry.close();
            }
        }

        @Test
        void rightCredentialsPull() {
            RegistryClient client = RegistryClient.create(registry.host(), options(
                    CredentialStore.of(registry.host(), Credentials.basic(USER, PASSWORD))));
            client.ping();
            assertThat(client.getManifest("team/app", "v1").digest()).isEqualTo(app.manifest().digest());
        }

        @Test
        void wrongCredentialsFailAfterExactlyTwoRequests() throws Exception {
            try (FaultProxy proxy = new FaultProxy(registry.port())) {
                RegistryClient client = RegistryClient.create(proxy.host(), options(
                        CredentialStore.of(proxy.host(), Credentials.basic(USER, "nope"))));
                assertThatThrownBy(() -> client.getManifest("team/app", "v1"))
                        .isInstanceOf(AuthenticationException.class).hasMessageContaining("refused");
                assertThat(proxy.requests()).hasSize(2);
                assertThat(proxy.requests().get(0).headers()).doesNotContainKey("authorization");
                assertThat(proxy.requests().get(1).headers().get("authorization")).startsWith("Basic ");
            }
        }

        @Test
        void missingCredentialsFailAfterOneRequest() throws Exception {
            try (FaultProxy proxy = new FaultProxy(registry.port())) {
                RegistryClient client = RegistryClient.create(proxy.host(), options(CredentialStore.none()));
                assertThatThrownBy(client::ping).isInstanceOf(AuthenticationException.class)
                        .hasMessageContaining("no credentials");
                assertThat(proxy.requests()).hasSize(1);
            }
        }

        @Test
        void credentialsForAnotherRegistryAreNotSent() throws Exception {
            try (FaultProxy proxy = new FaultProxy(registry.port())) {
                RegistryClient client = RegistryClient.create(proxy.host(), options(
                        CredentialStore.of("127.0.0.1:1", Credentials.basic(USER, PASSWORD))));
                assertThatThrownBy(client::ping).isInstanceOf(AuthenticationException.class);
                assertThat(proxy.requests()).allSatisfy(s -> assertThat(s.headers()).doesNotContainKey("authorization"));
            }
        }
    }
}
