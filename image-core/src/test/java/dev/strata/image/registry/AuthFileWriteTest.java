package dev.strata.image.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** login's writes: auths entries kept beside the file's other fields, or handed to the credential helper it names. */
class AuthFileWriteTest {
    @TempDir
    Path tmp;

    @Test
    void aCredsStoreHelperGetsTheCredentialsAndTheFileStaysAsItWas() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path received = tmp.resolve("received");
        Path helper = bin.resolve("docker-credential-fake");
        Files.writeString(helper, "#!/bin/sh\necho \"$1\" >> '" + received + "'\ncat >> '" + received + "'\n"
                + "echo >> '" + received + "'\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
        Path file = Files.writeString(tmp.resolve("config.json"), "{\"credsStore\":\"fake\"}");
        AuthFileCredentials creds = new AuthFileCredentials(file, new CredentialHelper(List.of(bin)));
        creds.store("reg.example:5000", Credentials.basic("ann", "pw-123"));
        String got = Files.readString(received);
        assertThat(got).startsWith("store").contains("\"ServerURL\":\"reg.example:5000\"")
                .contains("\"Username\":\"ann\"").contains("\"Secret\":\"pw-123\"");
        assertThat(Files.readString(file)).isEqualTo("{\"credsStore\":\"fake\"}").doesNotContain("pw-123");
        assertThat(creds.erase("reg.example:5000")).isTrue();
        assertThat(Files.readString(received)).contains("erase\nreg.example:5000");
    }

    @Test
    void dockerHubIsStoredUnderItsLegacyKeyAndEverySpellingErasesIt() throws Exception {
        Path file = tmp.resolve("auth.json");
        AuthFileCredentials creds = new AuthFileCredentials(file, new CredentialHelper(List.of()));
        creds.store("docker.io", Credentials.basic("u", "p"));
        assertThat(Files.readString(file)).contains(AuthFileCredentials.DOCKER_HUB_KEY);
        assertThat(creds.lookup("registry-1.docker.io")).isPresent();
        assertThat(creds.erase("index.docker.io")).isTrue();
        assertThat(creds.lookup("docker.io")).isEmpty();
    }
}
