package dev.strata.image.registry;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.ErrorKind;
import dev.strata.image.StrataException;
import dev.strata.image.UnavailableException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.MediaType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A registry that attacks the client with time and size: a tiny HTTP server on 127.0.0.1 that drips its answers a
 * byte at a time or never ends a blob. Short configured limits keep each case to seconds; every case must end with
 * the right kind of error naming the host and what was read, and nothing may hang.
 */
class HostileRegistryTest {
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);
    private static final TransferLimits FAST = new TransferLimits(Duration.ofSeconds(1), Duration.ofSeconds(1),
            1024);
    private static final RetryPolicy TWO_TRIES = new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(20),
            Duration.ofMillis(20));

    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-registry");
        t.setDaemon(true);
        return t;
    });
    private ServerSocket server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        pool.shutdownNow();
    }

    /** What the hostile server does after reading a request: write this head, then drip or flood. */
    private interface Behaviour {
        void answer(String requestLine, OutputStream out) throws IOException, InterruptedException;
    }

    private String serve(Behaviour b) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.submit(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                pool.submit(() -> {
                    try (s) {
                        InputStream in = s.getInputStream();
                        StringBuilder head = new StringBuilder();
                        while (!head.toString().endsWith("\r\n\r\n")) {
                            int c = in.read();
                            if (c < 0) {
                                return;
                            }
                            head.append((char) c);
                        }
                        b.answer(head.substring(0, head.indexOf("\r\n")), s.getOutputStream());
                    } catch (IOException | InterruptedException e) {
                        // the client hung up: expected
                    }
                });
            }
        });
        return "127.0.0.1:" + server.getLocalPort();
    }

    private static void drip(OutputStream out, String head, boolean chunked) throws IOException,
            InterruptedException {
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        while (true) {
            Thread.sleep(300);
            out.write(chunked ? "1\r\n{\r\n".getBytes(StandardCharsets.ISO_8859_1) : new byte[] {'{'});
            out.flush();
        }
    }

    private static RegistryClient client(String host) {
        return RegistryClient.create(host, RegistryOptions.anonymous().withRetryPolicy(TWO_TRIES)
                .withTransferLimits(FAST));
    }

    private static Descriptor blob(long size) {
        return new Descriptor(MediaType.OCI_LAYER_GZIP, Digest.sha256(new byte[] {1}), size);
    }

    @Test
    void slowDripManifestBodyIsAStallNamingHostAndManifest() throws Exception {
        String host = serve((line, out) -> drip(out, "HTTP/1.1 200 OK\r\nContent-Type: "
                + MediaType.OCI_MANIFEST + "\r\nContent-Length: 100000\r\n\r\n", false));
        StrataException e = assertTimeoutPreemptively(HANG_GUARD, () -> catchStrata(
                () -> client(host).getManifest("test/app", "v1")));
        assertThat(e).isInstanceOf(UnavailableException.class);
        assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(e.getMessage()).contains("manifest", "test/app:v1", host, "stalled");
    }

    @Test
    void slowDripResponseHeadersAreAStall() throws Exception {
        String host = serve((line, out) -> {
            out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1));
            while (true) {
                Thread.sleep(300);
                out.write('X');
                out.flush();
            }
        });
        StrataException e = assertTimeoutPreemptively(HANG_GUARD, () -> catchStrata(
                () -> client(host).getManifest("test/app", "v1")));
        assertThat(e).isInstanceOf(UnavailableException.class);
        assertThat(e.getMessage()).contains(host, "stalled", "no response headers");
    }

    @Test
    void slowDripBlobIsAStallAfterRetries() throws Exception {
        String host = serve((line, out) -> drip(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true));
        Descriptor d = blob(1 << 20);
        StrataException e = assertTimeoutPreemptively(HANG_GUARD, () -> catchStrata(() -> {
            try (InputStream in = client(host).fetchBlob("test/app", d)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        }));
        assertThat(e).isInstanceOf(UnavailableException.class);
        assertThat(e.getMessage()).contains("blob", d.digest().toString(), host, "stalled", "after 2 attempts");
    }

    @Test
    void slowDripErrorBodyIsAStall() throws Exception {
        String host = serve((line, out) -> drip(out, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\n\r\n", false));
        StrataException e = assertTimeoutPreemptively(HANG_GUARD, () -> catchStrata(
                () -> client(host).getManifest("test/app", "v1")));
        assertThat(e).isInstanceOf(UnavailableException.class);
        assertThat(e.getMessage()).contains("error body", host, "stalled");
    }

    @Test
    void slowDripTokenIsAStall() throws Exception {
        String[] realm = new String[1];
        String host = serve((line, out) -> {
            if (line.contains("/token")) {
                drip(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
                        false);
            }
            String body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}";
            out.write(("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"" + realm[0]
                    + "\",service=\"test\"\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        });
        realm[0] = "http://" + host + "/token";
        StrataException e = assertTimeoutPreemptively(HANG_GUARD, () -> catchStrata(
                () -> client(host).getManifest("test/app", "v1")));
        assertThat(e).isInstanceOf(UnavailableException.class);
        assertThat(e.getMessage()).contains("token", host, "stalled");
    }

    @Test
    void endlessBlobIsASizeMismatchNamingBlobAndHost() throws Exception {
        String host = serve((line, out) -> {
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = ("4000\r\n" + "x".repeat(0x4000) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            while (true) {
                out.write(chunk);
            }
        });
        Descriptor d = blob(100_000);
        StrataException e = assertTimeoutPreemptively(HANG_GUARD, () -> catchStrata(() -> {
            try (InputStream in = client(host).fetchBlob("test/app", d)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        }));
        assertThat(e).isInstanceOf(DigestMismatchException.class);
        assertThat(e.kind()).isEqualTo(ErrorKind.DIGEST_MISMATCH);
        assertThat(e.getMessage()).contains(d.digest().toString(), host, "longer than the 100000 bytes");
    }

    private interface Action {
        void run() throws Exception;
    }

    private static StrataException catchStrata(Action a) {
        try {
            a.run();
        } catch (StrataException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected a StrataException, got " + e, e);
        }
        throw new AssertionError("expected a StrataException, nothing was thrown");
    }

    @Test
    void limitsAreValidated() {
        assertThatThrownBy(() -> new TransferLimits(Duration.ZERO, Duration.ofSeconds(1), 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
