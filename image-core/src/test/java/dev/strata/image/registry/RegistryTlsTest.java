package dev.strata.image.registry;

import dev.strata.image.UnavailableException;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HTTPS to a registry with a private CA: trusted through RegistryOptions.certDir, refused without it. */
class RegistryTlsTest {

    @Test
    void certDirAddsTrustAndWithoutItTheHandshakeFailsOnce(@TempDir Path tmp) throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("openssl");
        Path key = tmp.resolve("key.pem");
        Path cert = tmp.resolve("cert.pem");
        Proc.ok(tmp, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-days", "2");
        Path certs = Files.createDirectories(tmp.resolve("certs.d"));
        Files.copy(cert, certs.resolve("ca.crt"));
        Files.writeString(certs.resolve("README"), "not a certificate, ignored");
        try (TestRegistry registry = TestRegistry.startWithTls(tmp.resolve("registry"), cert, key)) {
            RegistryOptions https = RegistryOptions.anonymous().withTransport(RegistryOptions.Transport.HTTPS);

            RegistryClient trusted = RegistryClient.create(registry.host(), https.withCertDir(certs));
            trusted.ping();
            assertThat(trusted.baseUri().getScheme()).isEqualTo("https");

            RegistryClient untrusted = RegistryClient.create(registry.host(), https);
            assertThatThrownBy(untrusted::ping).isInstanceOf(UnavailableException.class)
                    .hasMessageContaining("after 1 attempt");
        }
    }
}
