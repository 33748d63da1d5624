package dev.strata.image.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real registry for tests: Debian's {@code docker-registry} (distribution 2.8) serving on 127.0.0.1 at a free
 * port, storing in a temporary directory, anonymous or with htpasswd (bcrypt) or token authentication. Seeds
 * images with skopeo. {@link #close()} stops the process and waits for it.
 */
public final class TestRegistry implements AutoCloseable {
    private static final String BINARY = "docker-registry";

    private final Process process;
    private final int port;
    private final Path dir;
    private final Path log;
    private final boolean tls;
    private final String user;
    private final String password;

    private TestRegistry(Path dir, String authSection, String user, String password) throws Exception {
        this(dir, authSection, "", user, password);
    }

    private TestRegistry(Path dir, String authSection, String httpExtra, String user, String password)
            throws Exception {
        this(dir, authSection, httpExtra, user, password, false);
    }

    private TestRegistry(Path dir, String authSection, String httpExtra, String user, String password,
                         boolean accessLog) throws Exception {
        Capabilities.requireTool(BINARY);
        this.dir = dir;
        this.tls = !httpExtra.isEmpty();
        this.user = user;
        this.password = password;
        Files.createDirectories(dir);
        this.port = freePort();
        String config = "version: 0.1\n"
                + "log:\n  level: warn\n  accesslog:\n    disabled: " + !accessLog + "\n"
                + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data") + "\n"
                + "  delete:\n    enabled: true\n"
                + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: strata-test-secret\n" + httpExtra
                + authSection;
        Path configFile = dir.resolve("config.yml");
        Files.writeString(configFile, config);
        log = dir.resolve("registry.log");
        process = new ProcessBuilder(BINARY, "serve", configFile.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        awaitReady();
    }

    /** An anonymous registry. */
    public static TestRegistry start(Path dir) throws Exception {
        return new TestRegistry(dir, "", null, null);
    }

    /** An anonymous registry that logs every request ({@link #requests}). */
    public static TestRegistry startWithAccessLog(Path dir) throws Exception {
        return new TestRegistry(dir, "", "", null, null, true);
    }

    /**
     * The requests of the access log ({@link #startWithAccessLog}) as {@code METHOD /path?query} lines, in order.
     */
    public List<String> requests() {
        List<String> out = new ArrayList<>();
        try {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"(GET|HEAD|POST|PUT|PATCH|DELETE) ([^ \"]+)")
                    .matcher(Files.readString(log));
            while (m.find()) {
                out.add(m.group(1) + " " + m.group(2));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** An anonymous registry serving HTTPS with {@code certificate} and {@code key} (PEM). */
    public static TestRegistry startWithTls(Path dir, Path certificate, Path key) throws Exception {
        return new TestRegistry(dir, "", "  tls:\n    certificate: " + certificate + "\n    key: " + key + "\n",
                null, null);
    }

    /** A registry with basic authentication for one user (bcrypt htpasswd made by python3's crypt or htpasswd). */
    public static TestRegistry startWithHtpasswd(Path dir, String user, String password) throws Exception {
        Files.createDirectories(dir);
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, user + ":" + bcrypt(password) + "\n");
        return new TestRegistry(dir, "auth:\n  htpasswd:\n    realm: strata-test\n    path: " + htpasswd + "\n",
                user, password);
    }

    /** A registry that trusts the tokens of {@code tokens}; seeding uses {@code user}/{@code password}. */
    public static TestRegistry startWithToken(Path dir, TokenServer tokens, String user, String password)
            throws Exception {
        return new TestRegistry(dir, "auth:\n  token:\n    realm: " + tokens.realm() + "\n    service: "
                + TokenServer.SERVICE + "\n    issuer: " + TokenServer.ISSUER + "\n    rootcertbundle: "
                + tokens.certificate() + "\n", user, password);
    }

    /** True if a bcrypt hash can be made here (python3 crypt module or htpasswd). */
    public static boolean canMakeBcrypt() {
        try {
            bcrypt("probe");
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    private static String bcrypt(String password) {
        if (Capabilities.hasTool("htpasswd")) {
            String line = Proc.ok(null, "htpasswd", "-nbB", "-C", "4", "u", password).trim();
            return line.substring(line.indexOf(':') + 1);
        }
        if (Capabilities.hasTool("python3")) {
            Proc.Result r = Proc.run(null, "python3", "-W", "ignore", "-c",
                    "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))",
                    password);
            String hash = r.stdout().trim();
            if (r.exitCode() == 0 && hash.startsWith("$2")) {
                return hash;
            }
        }
        throw new AssertionError("no bcrypt available (needs htpasswd or python3 with the crypt module)");
    }

    /** {@code 127.0.0.1:<port>}, the registry part of references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Copies {@code tag} of the OCI layout {@code layout} to {@code repository:destTag} with skopeo. */
    public void seed(Path layout, String tag, String repository, String destTag, boolean allPlatforms) {
        Capabilities.requireTool("skopeo");
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q",
                "--dest-tls-verify=false"));
        if (allPlatforms) {
            cmd.add("--all");
        }
        if (user != null) {
            cmd.add("--dest-creds=" + user + ":" + password);
        }
        cmd.add("oci:" + layout + ":" + tag);
        cmd.add("docker://" + host() + "/" + repository + ":" + destTag);
        Proc.ok(null, cmd.toArray(String[]::new));
    }

    /** {@code skopeo inspect --raw} of {@code repository:tag}: the manifest bytes as the registry serves them. */
    public String inspectRaw(String repository, String tag) {
        Capabilities.requireTool("skopeo");
        List<String> cmd = new ArrayList<>(List.of("skopeo", "inspect", "--raw", "--tls-verify=false"));
        if (user != null) {
            cmd.add("--creds=" + user + ":" + password);
        }
        cmd.add("docker://" + host() + "/" + repository + ":" + tag);
        return Proc.ok(null, cmd.toArray(String[]::new));
    }

    /** {@code skopeo inspect} (config digest, layers, architecture) of {@code repository:tag}. */
    public String inspect(String repository, String tag) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "inspect", "--tls-verify=false"));
        if (user != null) {
            cmd.add("--creds=" + user + ":" + password);
        }
        cmd.add("docker://" + host() + "/" + repository + ":" + tag);
        return Proc.ok(null, cmd.toArray(String[]::new));
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("docker-registry exited " + process.exitValue() + ": " + logTail());
            }
            if (tls) {
                try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                    continue;
                }
            }
            try {
                HttpURLConnection c = (HttpURLConnection) new URL("http://" + host() + "/v2/").openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                int status = c.getResponseCode();
                c.disconnect();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(50);
        }
        close();
        throw new AssertionError("docker-registry did not answer on " + host() + " within 20 s: " + logTail());
    }

    public String logTail() {
        try {
            String s = Files.readString(log);
            return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
