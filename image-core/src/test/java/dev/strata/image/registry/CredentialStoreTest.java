package dev.strata.image.registry;

import dev.strata.image.AuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Credential sources without network: auth files, Docker Hub key spellings, credential helpers, lookup order. */
class CredentialStoreTest {
    @TempDir
    Path tmp;

    private static String auth(String userPass) {
        return Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }

    private Path file(String name, String json) throws Exception {
        Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, json);
        return p;
    }

    @ParameterizedTest(name = "{0} matches docker.io")
    @CsvSource({"https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io",
            "http://docker.io/v2/"})
    void everyDockerHubSpellingMeansDockerHub(String key) throws Exception {
        Path f = file("config.json", "{\"auths\":{\"" + key + "\":{\"auth\":\"" + auth("bob:pw") + "\"}}}");
        assertThat(CredentialStore.authFile(f).lookup("docker.io")).contains(Credentials.basic("bob", "pw"));
        assertThat(CredentialStore.authFile(f).lookup("quay.io")).isEmpty();
    }

    @Test
    void passwordMayContainColonsAndIdentityTokensAreKept() throws Exception {
        Path f = file("auth.json", "{\"auths\":{"
                + "\"quay.io\":{\"auth\":\"" + auth("robot:a:b:c") + "\"},"
                + "\"localhost:5000\":{\"auth\":\"" + auth("u:p") + "\",\"identitytoken\":\"refresh-me\"},"
                + "\"https://ghcr.io\":{\"identitytoken\":\"only-token\"}}}");
        CredentialStore store = CredentialStore.authFile(f);
        assertThat(store.lookup("quay.io")).contains(Credentials.basic("robot", "a:b:c"));
        assertThat(store.lookup("localhost:5000")).contains(new Credentials("u", "p", "refresh-me"));
        assertThat(store.lookup("ghcr.io")).contains(new Credentials("", "", "only-token"));
        assertThat(store.lookup("localhost:5001")).isEmpty();
    }

    @Test
    void malformedEntriesAreClearErrorsAndMissingFilesAreEmpty() throws Exception {
        Path bad = file("bad.json", "{\"auths\":{\"quay.io\":{\"auth\":\"%%%\"}}}");
        assertThatThrownBy(() -> CredentialStore.authFile(bad).lookup("quay.io"))
                .isInstanceOf(AuthenticationException.class).hasMessageContaining("base64")
                .hasMessageContaining(bad.toString());
        Path noColon = file("nocolon.json", "{\"auths\":{\"quay.io\":{\"auth\":\"" + auth("nocolon") + "\"}}}");
        assertThatThrownBy(() -> CredentialStore.authFile(noColon).lookup("quay.io"))
                .hasMessageContaining("user:password");
        Path notJson = file("array.json", "[1]");
        assertThatThrownBy(() -> CredentialStore.authFile(notJson).lookup("quay.io"))
                .hasMessageContaining("not a JSON object");
        assertThat(CredentialStore.authFile(tmp.resolve("absent.json")).lookup("quay.io")).isEmpty();
    }

    private Path helper(String name, String script) throws Exception {
        Path bin = tmp.resolve("bin");
        Files.createDirectories(bin);
        Path exe = bin.resolve("docker-credential-" + name);
        Files.writeString(exe, "#!/bin/sh\n" + script);
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwx------"));
        return bin;
    }

    @Test
    void credHelpersAndCredsStoreReceiveTheServerUrlOnStdin() throws Exception {
        // The helper echoes the server URL it was given back as the user name.
        Path bin = helper("echo", "read url\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"s\"}' "
                + "\"$url\" \"$url\"\n");
        helper("token", "cat >/dev/null\necho '{\"Username\":\"<token>\",\"Secret\":\"refresh\"}'\n");
        helper("none", "cat >/dev/null\necho 'credentials not found in native keychain'\nexit 1\n");
        Path f = file("helpers.json", "{\"credsStore\":\"echo\",\"credHelpers\":{\"gcr.io\":\"token\","
                + "\"nothing.example\":\"none\"}}");
        CredentialStore store = new AuthFileCredentials(f, new CredentialHelper(List.of(bin)));
        assertThat(store.lookup("docker.io")).contains(Credentials.basic("https://index.docker.io/v1/", "s"));
        assertThat(store.lookup("quay.io")).contains(Credentials.basic("quay.io", "s"));
        assertThat(store.lookup("gcr.io")).contains(new Credentials("", "", "refresh"));
        assertThat(store.lookup("nothing.example")).isEmpty();
    }

    @Test
    void missingOrFailingHelperIsAnAuthenticationError() throws Exception {
        Path bin = helper("broken", "cat >/dev/null\necho 'keychain locked'\nexit 3\n");
        Path f = file("h.json", "{\"credHelpers\":{\"a.io\":\"broken\",\"b.io\":\"absent\",\"c.io\":\"../evil\"}}");
        CredentialStore store = new AuthFileCredentials(f, new CredentialHelper(List.of(bin)));
        assertThatThrownBy(() -> store.lookup("a.io")).isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("exit 3").hasMessageContaining("keychain locked");
        assertThatThrownBy(() -> store.lookup("b.io")).hasMessageContaining("docker-credential-absent")
                .hasMessageContaining("not installed");
        assertThatThrownBy(() -> store.lookup("c.io")).hasMessageContaining("invalid credential helper name");
    }

    @Test
    void environmentOrderIsRegistryAuthFileThenRuntimeDirThenDockerConfig() throws Exception {
        Path explicit = file("explicit/auth.json", "{\"auths\":{\"a.io\":{\"auth\":\"" + auth("explicit:1") + "\"}}}");
        file("run/containers/auth.json", "{\"auths\":{\"a.io\":{\"auth\":\"" + auth("runtime:2") + "\"},"
                + "\"b.io\":{\"auth\":\"" + auth("runtime:2") + "\"}}}");
        file("home/.docker/config.json", "{\"auths\":{\"a.io\":{\"auth\":\"" + auth("docker:3") + "\"},"
                + "\"b.io\":{\"auth\":\"" + auth("docker:3") + "\"},\"c.io\":{\"auth\":\"" + auth("docker:3") + "\"}}}");
        CredentialStore all = CredentialStore.fromEnvironment(Map.of("REGISTRY_AUTH_FILE", explicit.toString(),
                "XDG_RUNTIME_DIR", tmp.resolve("run").toString()), tmp.resolve("home"));
        assertThat(all.lookup("a.io").orElseThrow().username()).isEqualTo("explicit");
        assertThat(all.lookup("b.io").orElseThrow().username()).isEqualTo("runtime");
        assertThat(all.lookup("c.io").orElseThrow().username()).isEqualTo("docker");
        assertThat(all.lookup("d.io")).isEmpty();
        file("dc/config.json", "{\"auths\":{\"c.io\":{\"auth\":\"" + auth("dockerconfig:4") + "\"}}}");
        assertThat(CredentialStore.fromEnvironment(Map.of("DOCKER_CONFIG", tmp.resolve("dc").toString()),
                tmp.resolve("home")).lookup("c.io").orElseThrow().username()).isEqualTo("dockerconfig");
    }

    @Test
    void secretsNeverAppearInToString() {
        assertThat(new Credentials("bob", "hunter2", "tok3n").toString()).contains("bob")
                .doesNotContain("hunter2").doesNotContain("tok3n");
    }
}
