package dev.strata.image.registry;

import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.progress.ProgressListener;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link RegistryClient} talks to a registry.
 *
 * <p><b>Transport.</b> {@link Transport#AUTO} uses HTTPS with full certificate verification, except for loopback
 * registries ({@code localhost}, {@code 127.0.0.0/8}, {@code [::1]}), which are spoken to over plain HTTP because
 * the traffic never leaves the machine. {@link Transport#HTTP} is the "insecure registry" / {@code
 * --tls-verify=false} choice: plain HTTP, like Docker's fallback for insecure registries. Strata never does TLS
 * without verification: it would protect nothing that plain HTTP does not, while hiding a misconfiguration.
 * {@link Transport#HTTPS} forces verified TLS even for loopback (a local registry with its own certificate).
 *
 * @param transport      see above
 * @param certDir        directory whose {@code *.crt} files are trusted in addition to the system CAs, or null
 * @param credentials    where credentials come from
 * @param retryPolicy    retries per request and per blob
 * @param connectTimeout TCP/TLS connect timeout
 * @param requestTimeout time allowed until response headers arrive (a stalled server is retried)
 * @param userAgent      {@code User-Agent} header value
 * @param transferLimits deadlines for whole documents and the minimum throughput of blobs: a registry that drips
 *                       bytes is treated as stalled (see {@link TransferLimits})
 * @param proxy          the forward proxy of each request ({@link ProxyConfig}: HTTPS_PROXY, HTTP_PROXY, NO_PROXY)
 * @param registries     mirrors, blocked and insecure registries ({@link RegistriesConf}; empty: none)
 * @param notices        where a mirror that failed and was skipped is reported ({@link ProgressEvent.Warning})
 */
public record RegistryOptions(Transport transport, Path certDir, CredentialStore credentials, RetryPolicy retryPolicy,
                              Duration connectTimeout, Duration requestTimeout, String userAgent,
                              TransferLimits transferLimits, ProxyConfig proxy,
                              RegistriesConf registries, ProgressListener notices) {

    /** Scheme selection; see the class comment. */
    public enum Transport { AUTO, HTTPS, HTTP }

    public RegistryOptions {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(userAgent, "userAgent");
        Objects.requireNonNull(transferLimits, "transferLimits");
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(registries, "registries");
        Objects.requireNonNull(notices, "notices");
    }

    /** No registries.conf rules, no notices. */
    public RegistryOptions(Transport transport, Path certDir, CredentialStore credentials, RetryPolicy retryPolicy,
                           Duration connectTimeout, Duration requestTimeout, String userAgent,
                           TransferLimits transferLimits, ProxyConfig proxy) {
        this(transport, certDir, credentials, retryPolicy, connectTimeout, requestTimeout, userAgent, transferLimits,
                proxy, RegistriesConf.empty(), ProgressListener.NONE);
    }

    /** Proxies from the environment ({@link ProxyConfig#fromEnvironment()}). */
    public RegistryOptions(Transport transport, Path certDir, CredentialStore credentials, RetryPolicy retryPolicy,
                           Duration connectTimeout, Duration requestTimeout, String userAgent,
                           TransferLimits transferLimits) {
        this(transport, certDir, credentials, retryPolicy, connectTimeout, requestTimeout, userAgent, transferLimits,
                ProxyConfig.fromEnvironment());
    }

    /** With {@link TransferLimits#defaults()}. */
    public RegistryOptions(Transport transport, Path certDir, CredentialStore credentials, RetryPolicy retryPolicy,
                           Duration connectTimeout, Duration requestTimeout, String userAgent) {
        this(transport, certDir, credentials, retryPolicy, connectTimeout, requestTimeout, userAgent,
                TransferLimits.defaults());
    }

    /**
     * AUTO transport, system CAs, credentials from the usual files, default retries, 30 s / 60 s timeouts, transfer
     * limits from {@link TransferLimits#fromSystemProperties()} (the defaults unless tuned).
     */
    public static RegistryOptions defaults() {
        return new RegistryOptions(Transport.AUTO, null, CredentialStore.defaults(), RetryPolicy.defaults(),
                Duration.ofSeconds(30), Duration.ofSeconds(60), "strata/0.1", TransferLimits.fromSystemProperties(),
                ProxyConfig.fromEnvironment());
    }

    /** Anonymous, no credential files consulted: for tests and callers that pass credentials explicitly. */
    public static RegistryOptions anonymous() {
        return defaults().withCredentials(CredentialStore.none());
    }

    public RegistryOptions withTransport(Transport t) {
        return new RegistryOptions(t, certDir, credentials, retryPolicy, connectTimeout, requestTimeout,
                userAgent, transferLimits, proxy, registries, notices);
    }

    /** {@code tlsVerify=false} means plain HTTP (an insecure registry); true restores the default. */
    public RegistryOptions withTlsVerify(boolean verify) {
        return withTransport(verify ? Transport.AUTO : Transport.HTTP);
    }

    public RegistryOptions withCertDir(Path dir) {
        return new RegistryOptions(transport, dir, credentials, retryPolicy, connectTimeout, requestTimeout,
                userAgent, transferLimits, proxy, registries, notices);
    }

    public RegistryOptions withCredentials(CredentialStore store) {
        return new RegistryOptions(transport, certDir, store, retryPolicy, connectTimeout, requestTimeout,
                userAgent, transferLimits, proxy, registries, notices);
    }

    public RegistryOptions withRetryPolicy(RetryPolicy policy) {
        return new RegistryOptions(transport, certDir, credentials, policy, connectTimeout, requestTimeout,
                userAgent, transferLimits, proxy, registries, notices);
    }

    public RegistryOptions withTimeouts(Duration connect, Duration request) {
        return new RegistryOptions(transport, certDir, credentials, retryPolicy, connect, request,
                userAgent, transferLimits, proxy, registries, notices);
    }

    /** Through {@code p} instead of the environment's proxies ({@link ProxyConfig#none()}: always direct). */
    public RegistryOptions withProxy(ProxyConfig p) {
        return new RegistryOptions(transport, certDir, credentials, retryPolicy, connectTimeout, requestTimeout,
                userAgent, transferLimits, p, registries, notices);
    }

    public RegistryOptions withTransferLimits(TransferLimits limits) {
        return new RegistryOptions(transport, certDir, credentials, retryPolicy, connectTimeout, requestTimeout,
                userAgent, limits, proxy, registries, notices);
    }

    /**
     * Mirrors, blocked and insecure registries from a registries.conf ({@link RegistriesConf}): reads go to the
     * rule's mirrors first, then to the primary; pushes, deletes and listings to the primary only.
     */
    public RegistryOptions withRegistriesConf(RegistriesConf conf) {
        return new RegistryOptions(transport, certDir, credentials, retryPolicy, connectTimeout, requestTimeout,
                userAgent, transferLimits, proxy, conf, notices);
    }

    /** Where skipped mirrors are reported (the library never prints). */
    public RegistryOptions withNotices(ProgressListener listener) {
        return new RegistryOptions(transport, certDir, credentials, retryPolicy, connectTimeout, requestTimeout,
                userAgent, transferLimits, proxy, registries, listener);
    }
}
