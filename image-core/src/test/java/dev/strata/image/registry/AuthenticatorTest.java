package dev.strata.image.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** WWW-Authenticate parsing and the loopback rule that decides whether credentials may go to a plain-HTTP realm. */
class AuthenticatorTest {

    @Test
    void bearerChallengeWithQuotedCommasAndEscapes() {
        List<Authenticator.Challenge> c = Authenticator.parseChallenges(
                "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
                        + "scope=\"repository:a/b:pull,push\",error=\"a \\\"quoted\\\" word\"");
        assertThat(c).hasSize(1);
        assertThat(c.get(0).scheme()).isEqualTo("bearer");
        assertThat(c.get(0).params()).containsEntry("realm", "https://auth.example/token")
                .containsEntry("service", "registry.example")
                .containsEntry("scope", "repository:a/b:pull,push")
                .containsEntry("error", "a \"quoted\" word");
    }

    @Test
    void severalChallengesInOneHeaderAndCaseInsensitiveNames() {
        List<Authenticator.Challenge> c = Authenticator.parseChallenges(
                "Basic Realm=\"r1\", BEARER realm=\"https://t/x\", service=svc");
        assertThat(c).extracting(Authenticator.Challenge::scheme).containsExactly("basic", "bearer");
        assertThat(c.get(0).params()).isEqualTo(Map.of("realm", "r1"));
        assertThat(c.get(1).params()).isEqualTo(Map.of("realm", "https://t/x", "service", "svc"));
    }

    @Test
    void garbageGivesNoParametersRatherThanAnError() {
        assertThat(Authenticator.parseChallenges(null)).isEmpty();
        assertThat(Authenticator.parseChallenges("")).isEmpty();
        assertThat(Authenticator.parseChallenges("Bearer realm=\"unterminated")).singleElement()
                .satisfies(ch -> assertThat(ch.param("realm")).isEqualTo("unterminated"));
        assertThat(Authenticator.parseChallenges("=,= ,\"")).isEmpty();
    }

    @ParameterizedTest(name = "{0} loopback={1}")
    @CsvSource({"localhost,true", "LOCALHOST,true", "127.0.0.1,true", "127.1.2.3,true", "[::1],true", "::1,true",
            "10.0.0.1,false", "example.com,false", "dead.beef,false", "127.0.0.1.example.com,false", ",false"})
    void onlyLiteralLoopbackAddressesCountAsLoopback(String host, boolean loopback) {
        assertThat(Authenticator.isLoopbackHost(host)).isEqualTo(loopback);
    }
}
