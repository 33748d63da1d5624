package dev.strata.image.registry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which forward proxy a registry request goes through, as curl, Go and podman read it: {@code HTTPS_PROXY} for
 * {@code https://} URLs, {@code HTTP_PROXY} for {@code http://} ones (upper or lower case, upper first), and
 * {@code NO_PROXY} naming the hosts reached directly: {@code *}; a domain ({@code example.com} and
 * {@code .example.com} both match it and its subdomains); {@code host:port}; an IP address; a CIDR range
 * ({@code 10.0.0.0/8}, {@code fd00::/8}). HTTPS goes through the proxy with CONNECT, so the proxy sees the host
 * name and never the registry's credentials, which travel inside the TLS tunnel. Without variables, the JDK's
 * {@code https.proxyHost}/{@code http.proxyHost} properties (and {@code http.nonProxyHosts}) apply, for embedders.
 * As in Go's net/http (and so podman and skopeo), loopback hosts are always reached directly when the proxy comes
 * from the environment; a proxy the caller names with {@link #of} is used for every request.
 *
 * @param https          the proxy for https URLs, or null
 * @param http           the proxy for http URLs, or null
 * @param noProxy        the NO_PROXY entries, lower case
 * @param loopbackDirect whether localhost, 127.0.0.0/8 and ::1 are reached directly
 */
public record ProxyConfig(URI https, URI http, List<String> noProxy, boolean loopbackDirect) {
    public ProxyConfig {
        noProxy = List.copyOf(noProxy);
    }

    /** Direct connections only. */
    public static ProxyConfig none() {
        return new ProxyConfig(null, null, List.of(), true);
    }

    /** Every request through {@code proxy} ({@code http://host:port}). */
    public static ProxyConfig of(URI proxy) {
        return new ProxyConfig(proxy, proxy, List.of(), false);
    }

    /** From this process's environment, else the JDK's proxy properties. */
    public static ProxyConfig fromEnvironment() {
        return fromEnvironment(System.getenv(), System.getProperties());
    }

    /** From {@code env}, else from the proxy properties of {@code props}. */
    public static ProxyConfig fromEnvironment(Map<String, String> env, java.util.Properties props) {
        String https = first(env, "HTTPS_PROXY", "https_proxy");
        String http = first(env, "HTTP_PROXY", "http_proxy");
        String no = first(env, "NO_PROXY", "no_proxy");
        List<String> noProxy = new ArrayList<>();
        if (https == null && http == null) {
            https = fromProperties(props, "https");
            http = fromProperties(props, "http");
            String non = props.getProperty("http.nonProxyHosts");
            if (non != null) {
                for (String h : non.split("\\|")) {
                    noProxy.add(h.trim().replace("*", "").toLowerCase(Locale.ROOT));
                }
            }
        }
        if (no != null) {
            for (String h : no.split("[,\\s]+")) {
                if (!h.isBlank()) {
                    noProxy.add(h.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        return new ProxyConfig(uri(https), uri(http), noProxy, true);
    }

    private static String first(Map<String, String> env, String upper, String lower) {
        String v = env.get(upper);
        if (v == null || v.isBlank()) {
            v = env.get(lower);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static String fromProperties(java.util.Properties props, String scheme) {
        String host = props.getProperty(scheme + ".proxyHost");
        if (host == null || host.isBlank()) {
            return null;
        }
        return "http://" + host + ":" + props.getProperty(scheme + ".proxyPort", scheme.equals("https") ? "443" : "80");
    }

    private static URI uri(String value) {
        if (value == null) {
            return null;
        }
        URI u = URI.create(value.contains("://") ? value : "http://" + value);
        if (u.getHost() == null) {
            throw new IllegalArgumentException("proxy '" + value + "' names no host");
        }
        return u;
    }

    /** The proxy a request to {@code target} goes through, or empty for a direct connection. */
    public Optional<URI> proxyFor(URI target) {
        URI proxy = "https".equalsIgnoreCase(target.getScheme()) ? https : http;
        if (proxy == null || bypassed(target)) {
            return Optional.empty();
        }
        return Optional.of(proxy);
    }

    /** Whether NO_PROXY names {@code target}'s host (or host:port). */
    boolean bypassed(URI target) {
        String host = target.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (loopbackDirect && (host.equals("localhost") || host.endsWith(".localhost") || host.equals("::1")
                || inCidr(host, "127.0.0.0/8"))) {
            return true;
        }
        int port = target.getPort() >= 0 ? target.getPort() : "https".equalsIgnoreCase(target.getScheme()) ? 443 : 80;
        for (String entry : noProxy) {
            if (entry.equals("*")) {
                return true;
            }
            String e = entry;
            int colon = e.lastIndexOf(':');
            if (colon > 0 && e.indexOf(':') == colon && !e.contains("/")) { // host:port (not an IPv6 address)
                if (!e.substring(colon + 1).equals(Integer.toString(port))) {
                    continue;
                }
                e = e.substring(0, colon);
            }
            if (e.contains("/")) {
                if (inCidr(host, e)) {
                    return true;
                }
                continue;
            }
            String domain = e.startsWith(".") ? e.substring(1) : e;
            if (host.equals(domain) || host.endsWith("." + domain)) {
                return true;
            }
        }
        return false;
    }

    private static boolean inCidr(String host, String cidr) {
        try {
            int slash = cidr.indexOf('/');
            byte[] net = literal(cidr.substring(0, slash));
            byte[] addr = literal(host);
            int bits = Integer.parseInt(cidr.substring(slash + 1));
            if (net == null || addr == null || net.length != addr.length || bits < 0 || bits > net.length * 8) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >>> (i % 8);
                if ((net[i / 8] & mask) != (addr[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The bytes of an IP literal, or null for a host name (never resolved: NO_PROXY matches what was written). */
    private static byte[] literal(String s) {
        if (!s.matches("[0-9.]+") && !s.contains(":")) {
            return null;
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** A {@link Proxy} for {@link java.net.URL#openConnection(Proxy)}. */
    Proxy proxyOf(URI target) {
        return proxyFor(target).map(p -> new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(p.getHost(),
                p.getPort() >= 0 ? p.getPort() : 80))).orElse(Proxy.NO_PROXY);
    }

    /** The same choice as a {@link ProxySelector}, for the JDK HttpClient. */
    ProxySelector selector() {
        return new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                return List.of(proxyOf(uri));
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
                // retries are the caller's (RetryPolicy); nothing to remember here
            }
        };
    }
}
