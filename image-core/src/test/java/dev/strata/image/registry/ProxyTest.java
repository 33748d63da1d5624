package dev.strata.image.registry;

import dev.strata.image.model.Descriptor;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Forward proxies: which requests go through one (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), and a real tinyproxy. */
class ProxyTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "NO_PROXY={0}, {1} -> direct={2}")
    @CsvSource(delimiter = '|', value = {
            "*                     | https://reg.example.com/v2/      | true",
            "example.com           | https://reg.example.com/v2/      | true",
            ".example.com          | https://reg.example.com/v2/      | true",
            "example.com           | https://example.com/v2/          | true",
            "example.com           | https://notexample.com/v2/       | false",
            "reg.example.com:5000  | https://reg.example.com:5000/v2/ | true",
            "reg.example.com:5000  | https://reg.example.com/v2/      | false",
            "10.0.0.0/8            | http://10.1.2.3:5000/v2/         | true",
            "10.0.0.0/8            | http://11.1.2.3:5000/v2/         | false",
            "192.168.1.7           | http://192.168.1.7/v2/           | true",
            "fd00::/8              | http://[fd12::1]:5000/v2/        | true",
            "'other.org, quay.io'  | https://quay.io/v2/              | true",
            "other.org             | https://quay.io/v2/              | false",
    })
    void noProxyForms(String noProxy, String target, boolean direct) {
        ProxyConfig c = ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "http://proxy:3128", "HTTP_PROXY",
                "http://proxy:3128", "NO_PROXY", noProxy), new Properties());
        assertThat(c.proxyFor(URI.create(target)).isEmpty()).isEqualTo(direct);
    }

    @Test
    void schemesCasesLoopbackAndTheJdkProperties() {
        ProxyConfig c = ProxyConfig.fromEnvironment(Map.of("https_proxy", "proxy.lower:3128", "HTTPS_PROXY",
                "http://proxy.upper:3128"), new Properties());
        assertThat(c.proxyFor(URI.create("https://quay.io/v2/"))).contains(URI.create("http://proxy.upper:3128"));
        assertThat(c.proxyFor(URI.create("http://quay.io/v2/"))).as("no HTTP_PROXY").isEmpty();
        assertThat(c.proxyFor(URI.create("https://127.0.0.1:5000/v2/"))).as("loopback is direct").isEmpty();
        assertThat(c.proxyFor(URI.create("https://localhost/v2/"))).isEmpty();
        Properties props = new Properties();
        props.setProperty("https.proxyHost", "jdk.proxy");
        props.setProperty("https.proxyPort", "8443");
        props.setProperty("http.nonProxyHosts", "*.internal|quay.io");
        ProxyConfig jdk = ProxyConfig.fromEnvironment(Map.of(), props);
        assertThat(jdk.proxyFor(URI.create("https://ghcr.io/v2/"))).contains(URI.create("http://jdk.proxy:8443"));
        assertThat(jdk.proxyFor(URI.create("https://reg.internal/v2/"))).isEmpty();
        assertThat(ProxyConfig.fromEnvironment(Map.of(), new Properties()).proxyFor(URI.create("https://x/"))).isEmpty();
    }

    /** Every kind of request — manifest and blob GETs, HEADs, an upload on the HttpClient path — through tinyproxy. */
    @Test
    void requestsGoThroughARealForwardProxy() throws Exception {
        Path tinyproxy = Capabilities.requireTool("tinyproxy");
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Path log = tmp.resolve("proxy.log");
        Path conf = Files.writeString(tmp.resolve("tinyproxy.conf"), "Port " + port + "\nListen 127.0.0.1\n"
                + "Timeout 60\nLogFile \"" + log + "\"\nLogLevel Info\nAllow 127.0.0.1\nMaxClients 20\n");
        Process proxy = new ProcessBuilder(tinyproxy.toString(), "-d", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("proxy.out").toFile()).start();
        try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"))) {
            for (int i = 0; i < 100 && !listening(port); i++) {
                Thread.sleep(50);
            }
            OciImages.Image image = OciImages.image(new Platform("linux", "amd64"), Map.of("f", "via proxy\n"));
            OciImages.writeLayout(tmp.resolve("layout"), "app", image);
            registry.seed(tmp.resolve("layout"), "app", "proxied/app", "1", false);
            RegistryClient client = RegistryClient.create(registry.host(), RegistryOptions.anonymous()
                    .withProxy(ProxyConfig.of(URI.create("http://127.0.0.1:" + port))));
            ManifestResponse m = client.getManifest("proxied/app", "1");
            assertThat(m.digest()).isEqualTo(image.manifest().digest());
            try (var in = client.fetchBlob("proxied/app", image.manifest().layers().get(0))) {
                in.readAllBytes();
            }
            byte[] extra = "pushed through the proxy".getBytes();
            Descriptor d = new Descriptor(MediaType.OCI_LAYER, dev.strata.image.digest.Digest.sha256(extra),
                    extra.length);
            assertThat(client.pushBlob("proxied/app", d, () -> new ByteArrayInputStream(extra))).isTrue();
            String seen = Files.readString(log);
            String base = "http://" + registry.host() + "/v2/proxied/app";
            for (String request : List.of("GET " + base + "/manifests/1", "GET " + base + "/blobs/",
                    "HEAD " + base + "/blobs/", "POST " + base + "/blobs/uploads/")) {
                assertThat(seen).as("the proxy saw " + request).contains(request);
            }
        } finally {
            proxy.destroy();
            proxy.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean listening(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
