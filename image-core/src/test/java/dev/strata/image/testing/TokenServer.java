package dev.strata.image.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Docker token server for tests ({@code GET /token?service=…&scope=…}) on 127.0.0.1. It signs RS256 JWTs with a
 * key and self-signed certificate made by openssl, which the registry trusts through {@code rootcertbundle}.
 * Requests with valid basic credentials get every action they ask for; anonymous requests get {@code pull} only
 * when {@code anonymousPull}; wrong credentials get 401. Every request is recorded.
 */
public final class TokenServer implements AutoCloseable {
    public static final String SERVICE = "strata-test-registry";
    public static final String ISSUER = "strata-test-issuer";

    /** What one token request looked like. */
    public record Request(String authorization, List<String> scopes, String service) {
    }

    private final HttpServer server;
    private final Path certificate;
    private final PrivateKey key;
    private final X509Certificate cert;
    private final Map<String, String> users;
    private final boolean anonymousPull;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile long expiresIn = 300;

    public TokenServer(Path dir, Map<String, String> users, boolean anonymousPull) throws Exception {
        this.users = Map.copyOf(users);
        this.anonymousPull = anonymousPull;
        Files.createDirectories(dir);
        Path keyFile = dir.resolve("token.key");
        certificate = dir.resolve("token.crt");
        Proc.ok(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile.toString(),
                "-out", certificate.toString(), "-subj", "/CN=strata-test-token", "-days", "2");
        key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pem(keyFile, "PRIVATE KEY")));
        cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(certificate));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/token", this::handle);
        server.start();
    }

    /** The certificate bundle the registry verifies tokens with. */
    public Path certificate() {
        return certificate;
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public void expiresIn(long seconds) {
        expiresIn = seconds;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            List<String> scopes = new ArrayList<>();
            String service = null;
            String query = ex.getRequestURI().getRawQuery();
            if (query != null) {
                for (String kv : query.split("&")) {
                    int eq = kv.indexOf('=');
                    String k = eq < 0 ? kv : kv.substring(0, eq);
                    String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                    if (k.equals("scope")) {
                        scopes.add(v);
                    } else if (k.equals("service")) {
                        service = v;
                    }
                }
            }
            requests.add(new Request(auth, List.copyOf(scopes), service));
            String subject = "";
            boolean authenticated = false;
            if (auth != null) {
                if (!auth.startsWith("Basic ")) {
                    reply(ex, 401, "{\"details\":\"basic auth expected\"}");
                    return;
                }
                String decoded = new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                String user = decoded.substring(0, Math.max(colon, 0));
                if (colon < 0 || !decoded.substring(colon + 1).equals(users.get(user))) {
                    reply(ex, 401, "{\"details\":\"invalid username or password\"}");
                    return;
                }
                subject = user;
                authenticated = true;
            }
            StringBuilder access = new StringBuilder("[");
            for (String scope : scopes) {
                String[] parts = scope.split(":");
                if (parts.length != 3 || !parts[0].equals("repository")) {
                    continue;
                }
                List<String> granted = new ArrayList<>();
                for (String action : parts[2].split(",")) {
                    if (authenticated || (anonymousPull && action.equals("pull"))) {
                        granted.add("\"" + action + "\"");
                    }
                }
                if (access.length() > 1) {
                    access.append(',');
                }
                access.append("{\"type\":\"repository\",\"name\":\"").append(parts[1]).append("\",\"actions\":[")
                        .append(String.join(",", granted)).append("]}");
            }
            access.append(']');
            String token = jwt(subject, access.toString());
            reply(ex, 200, "{\"token\":\"" + token + "\",\"access_token\":\"" + token + "\",\"expires_in\":"
                    + expiresIn + "}");
        } catch (Exception e) {
            reply(ex, 500, "{\"details\":\"" + e.getClass().getSimpleName() + "\"}");
        }
    }

    private String jwt(String subject, String access) throws Exception {
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\""
                + Base64.getEncoder().encodeToString(cert.getEncoded()) + "\"]}";
        long now = System.currentTimeMillis() / 1000;
        String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + subject + "\",\"aud\":\"" + SERVICE
                + "\",\"exp\":" + (now + expiresIn) + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now
                + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":" + access + "}";
        String signingInput = url.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + url.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + url.encodeToString(sig.sign());
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private static byte[] pem(Path file, String type) throws IOException {
        String text = Files.readString(file);
        int start = text.indexOf("-----BEGIN " + type + "-----");
        int end = text.indexOf("-----END " + type + "-----");
        if (start < 0 || end < 0) {
            throw new IOException(file + " holds no " + type);
        }
        String b64 = text.substring(start + ("-----BEGIN " + type + "-----").length(), end).replaceAll("\\s", "");
        return Base64.getDecoder().decode(b64);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
