package dev.strata.image.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP/1.1 proxy on 127.0.0.1 in front of a server on 127.0.0.1, for fault tests. It handles one request per
 * connection (it adds {@code Connection: close} both ways) so that faults apply to exactly the requests chosen:
 * the first {@code times} requests whose request line contains a string can be answered by the proxy itself
 * (a 503 with {@code Retry-After}, a 429), cut after N bytes of response body, have a body byte flipped, or be
 * stalled before the response, or throttled. Every request line is recorded.
 */
public final class FaultProxy implements AutoCloseable {

    /** What to do to a matching request. */
    public sealed interface Fault permits Respond, CutAfter, Corrupt, Stall, Throttle {
    }

    /** Answer without asking upstream. */
    public record Respond(int status, Map<String, String> headers, String body) implements Fault {
    }

    /** Forward, but close the connection after {@code bodyBytes} bytes of response body. */
    public record CutAfter(long bodyBytes) implements Fault {
    }

    /** Forward, with the body byte at {@code offset} flipped. */
    public record Corrupt(long offset) implements Fault {
    }

    /** Forward, after waiting {@code millis} before sending the response. */
    public record Stall(long millis) implements Fault {
    }

    /** Forward, sending the body at no more than {@code bytesPerSecond}: keeps a download in flight for a while. */
    public record Throttle(long bytesPerSecond) implements Fault {
        public Throttle {
            if (bytesPerSecond < 1) {
                throw new IllegalArgumentException("bytesPerSecond must be positive, got " + bytesPerSecond);
            }
        }
    }

    private static final class Rule {
        final String match;
        int remaining;
        final Fault fault;

        Rule(String match, int remaining, Fault fault) {
            this.match = match;
            this.remaining = remaining;
            this.fault = fault;
        }
    }

    /** A request as the proxy saw it (header names in lowercase). */
    public record Seen(String requestLine, Map<String, String> headers) {
    }

    private final int upstreamPort;
    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final List<Rule> rules = new ArrayList<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    public FaultProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        pool.execute(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code 127.0.0.1:<port>}. */
    public String host() {
        return "127.0.0.1:" + port();
    }

    /** Applies {@code fault} to the next {@code times} requests whose request line contains {@code match}. */
    public synchronized FaultProxy inject(String match, int times, Fault fault) {
        rules.add(new Rule(match, times, fault));
        return this;
    }

    public synchronized void clearFaults() {
        rules.clear();
    }

    public List<Seen> requests() {
        return List.copyOf(seen);
    }

    /** Number of requests whose request line contains {@code match}. */
    public long count(String match) {
        return seen.stream().filter(s -> s.requestLine().contains(match)).count();
    }

    private synchronized Fault take(String requestLine) {
        for (Rule r : rules) {
            if (r.remaining > 0 && requestLine.contains(r.match)) {
                r.remaining--;
                return r.fault;
            }
        }
        return null;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                pool.execute(() -> handle(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            byte[] head = readHead(in);
            if (head == null) {
                return;
            }
            List<String> lines = List.of(new String(head, StandardCharsets.ISO_8859_1).split("\r\n"));
            String requestLine = lines.get(0);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String l : lines.subList(1, lines.size())) {
                int colon = l.indexOf(':');
                if (colon > 0) {
                    headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
                }
            }
            seen.add(new Seen(requestLine, Map.copyOf(headers)));
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            Fault fault = take(requestLine);
            OutputStream out = client.getOutputStream();
            if (fault instanceof Respond r) {
                byte[] b = r.body().getBytes(StandardCharsets.UTF_8);
                StringBuilder sb = new StringBuilder("HTTP/1.1 " + r.status() + " Fault\r\n");
                r.headers().forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
                sb.append("Content-Length: ").append(b.length).append("\r\nConnection: close\r\n\r\n");
                out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.write(b);
                out.flush();
                return;
            }
            try (Socket upstream = new Socket(InetAddress.getByName("127.0.0.1"), upstreamPort)) {
                OutputStream up = upstream.getOutputStream();
                up.write(rewriteHead(lines));
                up.write(body);
                up.flush();
                InputStream down = upstream.getInputStream();
                byte[] responseHead = readHead(down);
                if (responseHead == null) {
                    return;
                }
                if (fault instanceof Stall s) {
                    Thread.sleep(s.millis());
                }
                out.write(rewriteHead(List.of(new String(responseHead, StandardCharsets.ISO_8859_1).split("\r\n"))));
                pump(down, out, fault);
            }
        } catch (IOException | InterruptedException e) {
            // the client or upstream went away; nothing to report
        }
    }

    private static void pump(InputStream down, OutputStream out, Fault fault) throws IOException,
            InterruptedException {
        long limit = fault instanceof CutAfter c ? c.bodyBytes() : Long.MAX_VALUE;
        long corruptAt = fault instanceof Corrupt c ? c.offset() : -1;
        long rate = fault instanceof Throttle t ? t.bytesPerSecond() : 0;
        long started = System.nanoTime();
        long sent = 0;
        byte[] buf = new byte[16384];
        while (sent < limit) {
            if (rate > 0) {
                long dueNanos = sent * 1_000_000_000L / rate - (System.nanoTime() - started);
                if (dueNanos > 0) {
                    out.flush();
                    Thread.sleep(dueNanos / 1_000_000, (int) (dueNanos % 1_000_000));
                }
            }
            int n = down.read(buf, 0, (int) Math.min(buf.length, limit - sent));
            if (n < 0) {
                break;
            }
            if (corruptAt >= sent && corruptAt < sent + n) {
                buf[(int) (corruptAt - sent)] ^= 0x01;
            }
            out.write(buf, 0, n);
            sent += n;
        }
        out.flush();
    }

    /** The head with any Connection header replaced by {@code Connection: close}. */
    private static byte[] rewriteHead(List<String> lines) {
        StringBuilder sb = new StringBuilder(lines.get(0)).append("\r\n");
        for (String l : lines.subList(1, lines.size())) {
            if (!l.toLowerCase(Locale.ROOT).startsWith("connection:") && !l.isEmpty()) {
                sb.append(l).append("\r\n");
            }
        }
        sb.append("Connection: close\r\n\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Bytes up to and excluding the blank line ending an HTTP head; null on EOF first. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (head.size() < 65536) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) ? state + 1
                    : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) {
                byte[] all = head.toByteArray();
                return java.util.Arrays.copyOf(all, all.length - 4);
            }
        }
        throw new IOException("HTTP head larger than 64 KiB");
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
