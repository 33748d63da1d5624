package dev.strata.image.registry;

import dev.strata.image.AuthenticationException;
import dev.strata.image.DigestMismatchException;
import dev.strata.image.ErrorKind;
import dev.strata.image.InvalidDigestException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.StrataException;
import dev.strata.image.UnavailableException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.VerifyingInputStream;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ManifestDocument;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.MediaType;
import dev.strata.image.reference.ImageReference;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client for one registry speaking the OCI distribution / Docker registry v2 API over the JDK
 * {@link HttpClient}: manifests with {@code Accept} negotiation and verification, blobs with {@code Range} resume,
 * uploads (monolithic, chunked, cross-repository mount) and manifest push.
 *
 * <p>Every request goes through the same path: authentication (see {@link Authenticator}), redirects followed by
 * hand (at most {@value #MAX_REDIRECTS}; {@code Authorization} is sent only to the registry's own scheme, host and
 * port, so a redirect to a storage host never sees the registry's credentials), retries per {@link RetryPolicy}, and
 * error bodies mapped to typed exceptions ({@code *_UNKNOWN}/404 → {@link dev.strata.image.NotFoundException},
 * 401/403/{@code DENIED} → {@link AuthenticationException}, 429/5xx → {@link UnavailableException}). Thread-safe.
 */
public final class RegistryClient {
    static final int MAX_REDIRECTS = 10;
    /** Manifests and indexes are read with this cap, whatever Content-Length says. */
    public static final int MAX_MANIFEST_SIZE = Manifests.MAX_DOCUMENT_SIZE;

    private static final Pattern REPOSITORY = Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

    private final String registry;
    private final URI base;
    private final RegistryOptions options;
    /** Built on first use: a pull of an anonymous registry sends every request through {@link #direct}. */
    private final Supplier<HttpClient> http;
    private final DirectTransport direct;
    private final Authenticator authenticator;
    private final Clock clock = Clock.systemUTC();
    /** The repository callers name (the reference's) and its name at this endpoint (after a location rewrite). */
    private final String callerRepository;
    private final String endpointRepository;
    /** registries.conf mirrors tried before this client for reads; empty without a rule. */
    private final List<RegistryClient> mirrors;
    private final boolean isMirror;
    /** Blobs a mirror served with the wrong digest: that mirror is not asked for them again. */
    private final Set<String> mismatched = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private RegistryClient(String registry, String apiHost, boolean loopback, RegistryOptions options) {
        this(registry, apiHost, loopback, false, options, null, null, List.of(), false);
    }

    private RegistryClient(String registry, String apiHost, boolean loopback, boolean insecure,
                           RegistryOptions options, String callerRepository, String endpointRepository,
                           List<RegistryClient> mirrors, boolean isMirror) {
        this.registry = registry;
        this.options = options;
        this.callerRepository = callerRepository;
        this.endpointRepository = endpointRepository;
        this.mirrors = List.copyOf(mirrors);
        this.isMirror = isMirror;
        // registries.conf insecure = true is plain HTTP, as --tls-verify=false is (see RegistryOptions).
        String scheme = insecure ? "http" : switch (options.transport()) {
            case HTTP -> "http";
            case HTTPS -> "https";
            case AUTO -> loopback ? "http" : "https";
        };
        this.base = URI.create(scheme + "://" + apiHost);
        javax.net.ssl.SSLContext extraCas = options.certDir() != null
                ? TrustedCertificates.withExtraCas(options.certDir()) : null;
        this.http = lazily(() -> {
            HttpClient.Builder b = HttpClient.newBuilder()
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .connectTimeout(options.connectTimeout());
            b.proxy(options.proxy().selector());
            if (extraCas != null) {
                b.sslContext(extraCas);
            } else if (scheme.equals("http")) {
                b.sslContext(TrustedCertificates.lazySystemTrust()); // TLS only after a redirect to HTTPS storage
            }
            return b.build();
        });
        this.direct = new DirectTransport(extraCas, options.connectTimeout(), options.proxy());
        this.authenticator = new Authenticator(registry, options.credentials(), http, options.retryPolicy(),
                options.requestTimeout(), options.transferLimits(), options.userAgent(), clock);
    }

    /**
     * A client for the registry of {@code reference} (Docker Hub's API host for {@code docker.io}), through the
     * options' registries.conf: reads (manifests, blobs) try the rule's mirrors for this reference first, in order,
     * then the primary; a mirror that fails (unreachable, 404, refused, wrong digest) is reported as a
     * {@link dev.strata.image.progress.ProgressEvent.Warning} and skipped. Writes, deletes and listings go to the
     * primary only. The primary may be another location (the rule's {@code location}); the repository callers pass
     * is {@code reference.repository()} and is rewritten for each endpoint.
     *
     * @throws dev.strata.image.FailedPreconditionException when registries.conf blocks the reference
     */
    public static RegistryClient create(ImageReference reference, RegistryOptions options) {
        List<RegistriesConf.Endpoint> endpoints = options.registries().endpointsFor(reference);
        List<RegistryClient> mirrors = new ArrayList<>();
        RegistryClient primary = null;
        for (RegistriesConf.Endpoint e : endpoints) {
            ImageReference at = e.reference();
            RegistryClient c = new RegistryClient(at.registry(), at.registryApiHost(), at.isLoopbackRegistry(),
                    e.insecure(), options, reference.repository(), at.repository(), e.mirror() ? List.of() : mirrors,
                    e.mirror());
            if (e.mirror()) {
                mirrors.add(c);
            } else {
                primary = c;
            }
        }
        return primary;
    }

    /** A client for {@code registry} as written in references: {@code quay.io}, {@code 127.0.0.1:5000}. */
    public static RegistryClient create(String registry, RegistryOptions options) {
        // The reference grammar validates the host and port and knows Docker Hub's API host.
        return create(new ImageReference(registry, "strata-probe", "latest", null), options);
    }

    private static <T> Supplier<T> lazily(Supplier<T> make) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = make.get();
                }
                return value;
            }
        };
    }

    // ---- registries.conf endpoints ----

    /** The repository's name at this endpoint: a location rewrite changes the reference's, others pass. */
    private String local(String repository) {
        return repository != null && repository.equals(callerRepository) ? endpointRepository : repository;
    }

    /** The endpoints reads go to, in order: the mirrors, then this client (the primary). */
    List<RegistryClient> sources() {
        if (mirrors.isEmpty()) {
            return List.of(this);
        }
        List<RegistryClient> all = new ArrayList<>(mirrors);
        all.add(this);
        return all;
    }

    /** Whether this endpoint is a registries.conf mirror (its failures fall through to the next source). */
    boolean isMirror() {
        return isMirror;
    }

    /** Whether reads of this client may come from mirrors. */
    public boolean hasMirrors() {
        return !mirrors.isEmpty();
    }

    /** Remembers that {@code mirror} served {@code digest} with other bytes: it is skipped for that blob. */
    void markMismatched(RegistryClient mirror, Digest digest) {
        mismatched.add(mirror.base + " " + digest);
    }

    boolean mismatched(RegistryClient source, Digest digest) {
        return mismatched.contains(source.base + " " + digest);
    }

    /** Reports a mirror that failed and was skipped. */
    void skipped(RegistryClient mirror, String what, RuntimeException e) {
        String message = "mirror " + mirror.base.getAuthority() + " failed" + (what == null ? "" : " " + what)
                + ", trying the next source: " + e.getMessage();
        LOG.debug(message, e);
        options.notices().onEvent(new dev.strata.image.progress.ProgressEvent.Warning(message));
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RegistryClient.class);

    private <T> T fromSources(java.util.function.Function<RegistryClient, T> op) {
        return fromSources(op, r -> true);
    }

    /**
     * {@code op} on each mirror in order, then on this client; a mirror's answer counts when {@code found} accepts
     * it, and a mirror that throws (unreachable, missing, refused, wrong digest, invalid document) is skipped.
     * Invalid arguments are ours, not the mirror's: they end the search at once.
     */
    private <T> T fromSources(java.util.function.Function<RegistryClient, T> op, java.util.function.Predicate<T> found) {
        for (RegistryClient m : mirrors) {
            try {
                T r = op.apply(m);
                if (found.test(r)) {
                    return r;
                }
                options.notices().onEvent(new dev.strata.image.progress.ProgressEvent.Warning("mirror "
                        + m.base.getAuthority() + " does not have it, trying the next source"));
            } catch (StrataException e) {
                if (e.kind() == ErrorKind.INVALID_ARGUMENT) {
                    throw e;
                }
                skipped(m, null, e);
            }
        }
        return op.apply(this);
    }

    /** The retries a blob download may use to resume (see {@link ResumingBlobStream}). */
    RetryPolicy retryPolicy() {
        return options.retryPolicy();
    }

    /** The base URL requests go to, e.g. {@code http://127.0.0.1:5000}. */
    public URI baseUri() {
        return base;
    }

    /** Checks that the registry speaks v2 and that we may talk to it ({@code GET /v2/}). */
    public void ping() {
        try (InputStream body = send(new Call("GET", base.resolve("/v2/"), Map.of(), null, List.of(),
                "ping of registry " + registry), Set.of()).body()) {
            body.readNBytes(RegistryErrors.MAX_ERROR_BODY);
        } catch (IOException e) {
            throw new UnavailableException("ping of registry " + registry + " failed: " + e, e);
        }
    }

    /**
     * Fetches a manifest or index by tag or digest. The body is read with a {@value #MAX_MANIFEST_SIZE}-byte cap;
     * when {@code reference} is a digest, the bytes must hash to it.
     *
     * @throws DigestMismatchException when the bytes do not match the requested digest or the registry's
     *                                 {@code Docker-Content-Digest}
     * @throws InvalidImageException   when the body is not a manifest or index, or contradicts its Content-Type
     */
    public ManifestResponse getManifest(String repository, String reference) {
        return fromSources(c -> c.getManifestHere(repository, reference));
    }

    private ManifestResponse getManifestHere(String repository, String reference) {
        repository = local(repository);
        Digest requested = checkReference(reference);
        String what = "GET manifest " + name(repository) + (requested != null ? "@" : ":") + reference;
        Call call = new Call("GET", manifestUri(repository, reference), Map.of("Accept", MediaType.MANIFEST_ACCEPT),
                null, pull(repository), what);
        HttpResponse<InputStream> resp;
        byte[] raw;
        for (int attempts = 1; ; attempts++) {
            resp = send(call, Set.of());
            OptionalLong declared = Bodies.contentLength(resp.headers());
            if (declared.isPresent() && declared.getAsLong() > MAX_MANIFEST_SIZE) {
                Bodies.discard(resp.body());
                throw new InvalidImageException(what + ": the manifest is " + declared.getAsLong()
                        + " bytes, more than the " + MAX_MANIFEST_SIZE + " allowed");
            }
            try {
                raw = Bodies.readCapped(resp.body(), MAX_MANIFEST_SIZE);
                break;
            } catch (IOException e) {
                // A body that broke or stalled is asked for again, as a failed request would be.
                if (!options.retryPolicy().canRetry(attempts)) {
                    throw new UnavailableException(what + ": reading the body failed after " + attempts
                            + " attempt(s): " + StalledException.describe(e), e);
                }
                sleep(options.retryPolicy().delay(attempts, null, clock.instant()), call);
            }
        }
        if (raw == null) {
            throw new InvalidImageException(what + ": the manifest is larger than " + MAX_MANIFEST_SIZE + " bytes");
        }
        Digest actual = requested != null ? requested.recompute(raw) : Digest.sha256(raw);
        if (requested != null && !actual.equals(requested)) {
            throw new DigestMismatchException(what + ": the registry served bytes with digest " + actual);
        }
        Optional<String> served = resp.headers().firstValue("Docker-Content-Digest");
        if (served.isPresent() && requested == null) {
            Digest claimed = parseDigestHeader(served.get(), what);
            if (!claimed.recompute(raw).equals(claimed)) {
                throw new DigestMismatchException(what + ": Docker-Content-Digest says " + claimed
                        + " but the body hashes to " + claimed.recompute(raw));
            }
        }
        String contentType = resp.headers().firstValue("Content-Type").orElse(null);
        ManifestDocument doc;
        try {
            doc = Manifests.parse(raw, contentType);
        } catch (InvalidImageException e) {
            throw new InvalidImageException(what + ": " + e.getMessage(), e);
        }
        return new ManifestResponse(doc, actual);
    }

    /**
     * Asks whether a manifest exists without fetching it: its descriptor (media type from Content-Type, digest from
     * {@code Docker-Content-Digest}, size from Content-Length), or empty when the registry does not know it.
     */
    public Optional<Descriptor> headManifest(String repository, String reference) {
        return fromSources(c -> c.headManifestHere(repository, reference), Optional::isPresent);
    }

    private Optional<Descriptor> headManifestHere(String repository, String reference) {
        repository = local(repository);
        Digest requested = checkReference(reference);
        String what = "HEAD manifest " + name(repository) + (requested != null ? "@" : ":") + reference;
        HttpResponse<InputStream> resp = send(new Call("HEAD", manifestUri(repository, reference),
                Map.of("Accept", MediaType.MANIFEST_ACCEPT), null, pull(repository), what), Set.of(404));
        Bodies.discard(resp.body());
        if (resp.statusCode() == 404) {
            return Optional.empty();
        }
        HttpHeaders h = resp.headers();
        Digest digest = h.firstValue("Docker-Content-Digest").map(v -> parseDigestHeader(v, what)).orElse(requested);
        if (digest == null) {
            throw new InvalidImageException(what + ": the registry sent no Docker-Content-Digest");
        }
        if (requested != null && !digest.equals(requested)) {
            throw new DigestMismatchException(what + ": the registry answered for " + digest);
        }
        String mediaType = h.firstValue("Content-Type").map(RegistryClient::stripParameters).orElse("");
        long size = h.firstValueAsLong("Content-Length").orElse(0);
        return Optional.of(new Descriptor(mediaType, digest, size));
    }

    /** The size of a blob in {@code repository}, or empty when the registry does not have it there. */
    public OptionalLong headBlob(String repository, Digest digest) {
        return fromSources(c -> c.headBlobHere(repository, digest), OptionalLong::isPresent);
    }

    private OptionalLong headBlobHere(String repository, Digest digest) {
        repository = local(repository);
        String what = "HEAD blob " + name(repository) + "@" + digest;
        HttpResponse<InputStream> resp = send(new Call("HEAD", blobUri(repository, digest), Map.of(), null,
                pull(repository), what), Set.of(404));
        Bodies.discard(resp.body());
        if (resp.statusCode() == 404) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(resp.headers().firstValueAsLong("Content-Length").orElse(-1));
    }

    /**
     * Opens a blob's raw bytes from {@code offset} on (a {@code Range} request; a registry that ignores it and
     * answers 200 has the first {@code offset} bytes skipped here). Nothing is verified: use
     * {@link #fetchBlob} unless you verify yourself.
     */
    public InputStream openBlob(String repository, Descriptor blob, long offset) {
        return fromSources(c -> c.openBlobHere(repository, blob, offset));
    }

    /** {@link #openBlob} at this endpoint only (no mirrors): what {@link ResumingBlobStream} reads each source by. */
    InputStream openBlobHere(String repository, Descriptor blob, long offset) {
        repository = local(repository);
        if (offset < 0 || offset > blob.size()) {
            throw new IllegalArgumentException("offset " + offset + " outside blob " + blob.digest() + " of "
                    + blob.size() + " bytes");
        }
        String what = "GET blob " + name(repository) + "@" + blob.digest() + (offset > 0 ? " from " + offset : "");
        Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
        HttpResponse<InputStream> resp = send(new Call("GET", blobUri(repository, blob.digest()), headers, null,
                pull(repository), what, blob.size() - offset, 0), Set.of());
        InputStream body = resp.body();
        try {
            if (offset > 0 && resp.statusCode() == 206) {
                String range = resp.headers().firstValue("Content-Range").orElse("");
                Matcher m = CONTENT_RANGE.matcher(range);
                if (!m.matches() || Long.parseLong(m.group(1)) != offset) {
                    body.close();
                    throw new UnavailableException(what + ": the registry answered the wrong range '" + range + "'");
                }
            } else if (offset > 0) {
                body.skipNBytes(offset);
            }
            return body;
        } catch (EOFException e) {
            closeQuietly(body);
            throw new UnavailableException(what + ": the blob ended before offset " + offset, e);
        } catch (IOException e) {
            closeQuietly(body);
            throw new UnavailableException(what + ": " + e, e);
        }
    }

    /**
     * A blob's bytes from its start, resuming with {@code Range} requests after a cut connection (as the retry policy
     * allows). Not verified: for callers that verify the whole stream themselves, as the copy engine does.
     */
    public InputStream openBlobResuming(String repository, Descriptor blob) {
        return new ResumingBlobStream(this, repository, blob, options.retryPolicy());
    }

    /**
     * Streams a whole blob, verified: reading to EOF throws {@link DigestMismatchException} unless the bytes have
     * the descriptor's size and digest. A connection that breaks mid-way is resumed with a {@code Range} request
     * from the byte reached (up to the retry policy's attempts), so the digest still covers every byte once.
     */
    public InputStream fetchBlob(String repository, Descriptor blob) {
        return new VerifyingInputStream(new ResumingBlobStream(this, repository, blob, options.retryPolicy()),
                blob.digest(), blob.size());
    }

    /** Opens an upload session ({@code POST /v2/<name>/blobs/uploads/}). */
    public BlobUpload startUpload(String repository) {
        repository = local(repository);
        String what = "start upload to " + name(repository);
        HttpResponse<InputStream> resp = send(new Call("POST", base.resolve("/v2/" + repo(repository)
                + "/blobs/uploads/"), Map.of(), BodyPublishers::noBody, push(repository), what), Set.of());
        Bodies.discard(resp.body());
        return new BlobUpload(repository, location(resp, what), 0);
    }

    /**
     * Asks the registry to link a blob it already holds in {@code fromRepository} into {@code repository}
     * (cross-repository mount). True when mounted (201); false when the registry declined (it then opened an
     * upload session, which is cancelled here).
     */
    public boolean mountBlob(String callerRepository, Digest digest, String fromRepository) {
        String repository = local(callerRepository);
        String what = "mount " + digest + " from " + name(fromRepository) + " into " + name(repository);
        URI uri = base.resolve("/v2/" + repo(repository) + "/blobs/uploads/?mount=" + digest + "&from="
                + repo(fromRepository));
        HttpResponse<InputStream> resp = send(new Call("POST", uri, Map.of(), BodyPublishers::noBody,
                List.of(scope(repository, "pull,push"), scope(fromRepository, "pull")), what), Set.of());
        Bodies.discard(resp.body());
        if (resp.statusCode() == 201) {
            return true;
        }
        resp.headers().firstValue("Location").ifPresent(loc -> {
            try {
                HttpResponse<InputStream> del = send(new Call("DELETE", resolveLocation(resp.uri(), loc, what),
                        Map.of(), null, push(repository), "cancel upload to " + name(repository)), Set.of(404));
                Bodies.discard(del.body());
            } catch (StrataException e) {
                // An abandoned session expires on the registry; nothing of ours depends on it.
            }
        });
        return false;
    }

    /**
     * Sends a whole blob in one {@code PUT <location>?digest=} and completes the upload. {@code content} is called
     * again for each attempt.
     */
    public void uploadMonolithic(BlobUpload upload, Digest digest, long size, Supplier<InputStream> content) {
        String what = "upload of " + digest + " to " + name(upload.repository());
        Supplier<BodyPublisher> body = () -> BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(content), size);
        HttpResponse<InputStream> resp = send(new Call("PUT", withQuery(upload.location(), "digest=" + digest),
                Map.of("Content-Type", "application/octet-stream"), body, push(upload.repository()), what, -1, size),
                Set.of());
        Bodies.discard(resp.body());
        checkCreatedDigest(resp, digest, what);
    }

    /** Sends one chunk ({@code PATCH} with {@code Content-Range}) at the session's offset. */
    public BlobUpload uploadChunk(BlobUpload upload, byte[] chunk, int off, int len) {
        String what = "chunk " + upload.offset() + "+" + len + " of upload to " + name(upload.repository());
        long end = upload.offset() + len - 1;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/octet-stream");
        if (len > 0) {
            headers.put("Content-Range", upload.offset() + "-" + end);
        }
        HttpResponse<InputStream> resp = send(new Call("PATCH", upload.location(), headers,
                () -> BodyPublishers.ofByteArray(chunk, off, len), push(upload.repository()), what, -1, len),
                Set.of());
        Bodies.discard(resp.body());
        return new BlobUpload(upload.repository(), location(resp, what), upload.offset() + len);
    }

    /** Completes a chunked upload ({@code PUT <location>?digest=} with no body). */
    public void finishUpload(BlobUpload upload, Digest digest) {
        String what = "completion of upload of " + digest + " to " + name(upload.repository());
        HttpResponse<InputStream> resp = send(new Call("PUT", withQuery(upload.location(), "digest=" + digest),
                Map.of(), BodyPublishers::noBody, push(upload.repository()), what), Set.of());
        Bodies.discard(resp.body());
        checkCreatedDigest(resp, digest, what);
    }

    /**
     * Pushes a blob unless the registry already has it: HEAD, then one monolithic upload. Returns true when bytes
     * were sent.
     */
    public boolean pushBlob(String repository, Descriptor blob, Supplier<InputStream> content) {
        if (headBlob(repository, blob.digest()).isPresent()) {
            return false;
        }
        uploadMonolithic(startUpload(repository), blob.digest(), blob.size(), content);
        return true;
    }

    /**
     * Uploads a manifest or index under a tag or its digest and returns its digest. The registry's
     * {@code Docker-Content-Digest}, when sent, must be the digest of {@code raw}.
     */
    public Digest putManifest(String repository, String reference, byte[] raw, String mediaType) {
        repository = local(repository);
        Digest requested = checkReference(reference);
        Digest digest = requested != null ? requested.recompute(raw) : Digest.sha256(raw);
        if (requested != null && !digest.equals(requested)) {
            throw new DigestMismatchException("manifest for " + name(repository) + "@" + requested
                    + " hashes to " + digest);
        }
        if (raw.length > MAX_MANIFEST_SIZE) {
            throw new InvalidImageException("manifest for " + name(repository) + " is " + raw.length
                    + " bytes, more than the " + MAX_MANIFEST_SIZE + " registries accept");
        }
        String what = "PUT manifest " + name(repository) + (requested != null ? "@" : ":") + reference;
        HttpResponse<InputStream> resp = send(new Call("PUT", manifestUri(repository, reference),
                Map.of("Content-Type", mediaType), () -> BodyPublishers.ofByteArray(raw), push(repository), what, -1,
                raw.length), Set.of());
        Bodies.discard(resp.body());
        checkCreatedDigest(resp, digest, what);
        return digest;
    }

    // ---- listing and deleting ----

    /** Pages of a list are read with this cap each: 100 names of up to 255 characters are ~26 KiB. */
    private static final int MAX_LIST_PAGE = 4 * 1024 * 1024;
    /** Names one listing returns at most; a registry that keeps paginating past it is refused. */
    public static final int MAX_LISTED = 1_000_000;
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    /**
     * The tags of {@code repository}, in the registry's order, following {@code Link: <…>; rel="next"} pages.
     *
     * @throws NotFoundException when the registry does not know the repository
     */
    public List<String> listTags(String repository) {
        return listTags(repository, DEFAULT_PAGE);
    }

    /** {@link #listTags(String)}, asking for pages of {@code pageSize} names ({@code ?n=}). */
    public List<String> listTags(String repository, int pageSize) {
        repository = local(repository);
        return list(base.resolve("/v2/" + repo(repository) + "/tags/list?n=" + checkPage(pageSize)), "tags",
                pull(repository), "list tags of " + name(repository));
    }

    /** The repositories the registry lists in its catalog ({@code GET /v2/_catalog}), following pages. */
    public List<String> catalog() {
        return catalog(DEFAULT_PAGE);
    }

    /** {@link #catalog()} in pages of {@code pageSize} names. */
    public List<String> catalog(int pageSize) {
        return list(base.resolve("/v2/_catalog?n=" + checkPage(pageSize)), "repositories",
                List.of("registry:catalog:*"), "catalog of " + registry);
    }

    /** Names asked for per page; distribution serves at most 1,000 (its default maximum). */
    private static final int DEFAULT_PAGE = 1000;

    private static int checkPage(int pageSize) {
        if (pageSize < 1 || pageSize > 10_000) {
            throw new IllegalArgumentException("page size must be 1 to 10,000, got " + pageSize);
        }
        return pageSize;
    }

    private List<String> list(URI first, String field, List<String> scopes, String what) {
        List<String> out = new ArrayList<>();
        java.util.Set<URI> seen = new java.util.HashSet<>();
        URI next = first;
        while (next != null) {
            if (!seen.add(next)) {
                throw new InvalidImageException(what + ": the registry's pages loop back to " + next);
            }
            HttpResponse<InputStream> resp = send(new Call("GET", next, Map.of("Accept", "application/json"), null,
                    scopes, what), Set.of());
            byte[] body;
            try {
                body = Bodies.readCapped(resp.body(), MAX_LIST_PAGE);
            } catch (IOException e) {
                throw new UnavailableException(what + ": reading the body failed: " + e, e);
            }
            if (body == null) {
                throw new InvalidImageException(what + ": a page is larger than " + MAX_LIST_PAGE + " bytes");
            }
            try {
                com.fasterxml.jackson.databind.JsonNode names = dev.strata.image.internal.JsonTrees.read(body)
                        .get(field);
                if (names != null && !names.isNull()) {
                    if (!names.isArray()) {
                        throw new InvalidImageException(what + ": \"" + field + "\" is not a list");
                    }
                    for (com.fasterxml.jackson.databind.JsonNode n : names) {
                        if (!n.isTextual()) {
                            throw new InvalidImageException(what + ": \"" + field + "\" holds a non-string");
                        }
                        if (out.size() >= MAX_LISTED) {
                            throw new InvalidImageException(what + ": more than " + MAX_LISTED + " names");
                        }
                        out.add(n.asText());
                    }
                }
            } catch (IOException e) {
                throw new InvalidImageException(what + ": the registry's answer is not JSON: " + e.getMessage(), e);
            }
            next = resp.headers().firstValue("Link").map(link -> {
                java.util.regex.Matcher m = NEXT_LINK.matcher(link);
                return m.find() ? resolveLocation(resp.uri(), m.group(1), what) : null;
            }).orElse(null);
            if (next != null && !sameOrigin(next, base)) {
                throw new InvalidImageException(what + ": the next page is on another host: " + next);
            }
        }
        return out;
    }

    /**
     * Deletes the manifest {@code digest} from {@code repository} (every tag naming it goes with it: the
     * distribution API deletes by digest).
     *
     * @throws NotFoundException            when the repository has no such manifest
     * @throws FailedPreconditionException  when the registry does not allow deletes (405)
     */
    public void deleteManifest(String repository, Digest digest) {
        repository = local(repository);
        String what = "delete manifest " + name(repository) + "@" + digest;
        HttpResponse<InputStream> resp = send(new Call("DELETE", manifestUri(repository, digest.toString()),
                Map.of(), null, List.of(scope(repository, "delete")), what), Set.of(405));
        Bodies.discard(resp.body());
        if (resp.statusCode() == 405) {
            throw new dev.strata.image.FailedPreconditionException(what + " at " + base
                    + ": the registry does not allow deleting (405; distribution needs storage.delete.enabled)");
        }
    }

    // ---- request machinery ----

    /**
     * One logical request; {@code body} is re-created for every attempt and redirect. {@code blobBytes}: the size of
     * a blob body to expect (held to the minimum throughput), -1 for a document; {@code uploadBytes}: the size of the
     * request body, which extends the deadline.
     */
    private record Call(String method, URI uri, Map<String, String> headers, Supplier<BodyPublisher> body,
                        List<String> scopes, String what, long blobBytes, long uploadBytes) {
        Call(String method, URI uri, Map<String, String> headers, Supplier<BodyPublisher> body, List<String> scopes,
             String what) {
            this(method, uri, headers, body, scopes, what, -1, 0);
        }
    }

    /**
     * Sends {@code call} with authentication, redirects and retries. Returns a response with a 2xx status or one
     * of {@code passThrough}; the caller closes its body. Everything else becomes an exception.
     */
    private HttpResponse<InputStream> send(Call call, Set<Integer> passThrough) {
        RetryPolicy policy = options.retryPolicy();
        String authorization = authenticator.preemptive(call.scopes()).orElse(null);
        boolean reauthenticated = false;
        int attempts = 0;
        while (true) {
            attempts++;
            HttpResponse<InputStream> resp;
            try {
                resp = sendFollowingRedirects(call, authorization);
            } catch (IOException e) {
                // A certificate problem does not go away by asking again.
                if (policy.canRetry(attempts) && !(e instanceof javax.net.ssl.SSLException)) {
                    sleep(policy.delay(attempts, null, clock.instant()), call);
                    continue;
                }
                throw new UnavailableException(call.what() + " at " + base + " failed after " + attempts
                        + " attempt(s): " + StalledException.describe(e), e);
            }
            int status = resp.statusCode();
            if ((status >= 200 && status < 300) || passThrough.contains(status)) {
                return resp;
            }
            byte[] errorBody;
            try {
                errorBody = Bodies.readErrorBody(resp.body(), RegistryErrors.MAX_ERROR_BODY);
            } catch (StalledException e) {
                if (policy.canRetry(attempts)) {
                    sleep(policy.delay(attempts, null, clock.instant()), call);
                    continue;
                }
                throw new UnavailableException(e.getMessage() + " (after " + attempts + " attempts)", e);
            }
            if (status == 401 && sameOrigin(resp.uri(), base)) {
                if (reauthenticated) {
                    throw new AuthenticationException(call.what() + " at " + base + " was refused after "
                            + "authenticating: " + RegistryErrors.describe(status, RegistryErrors.parse(errorBody),
                            errorBody));
                }
                authorization = authenticator.respond(resp.headers().allValues("WWW-Authenticate"), call.scopes(),
                        authorization != null);
                reauthenticated = true;
                attempts--; // answering a challenge is not a failed attempt
                continue;
            }
            if (RetryPolicy.isRetryableStatus(status) && policy.canRetry(attempts)) {
                sleep(policy.delay(attempts, resp.headers().firstValue("Retry-After").orElse(null), clock.instant()),
                        call);
                continue;
            }
            StrataException e = RegistryErrors.toException(call.what() + " at " + base, status, errorBody);
            if (e instanceof UnavailableException && attempts > 1) {
                throw new UnavailableException(e.getMessage() + " (after " + attempts + " attempts)");
            }
            throw e;
        }
    }

    private HttpResponse<InputStream> sendFollowingRedirects(Call call, String authorization) throws IOException {
        URI uri = call.uri();
        String method = call.method();
        Supplier<BodyPublisher> body = call.body();
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                    .timeout(options.requestTimeout())
                    .method(method, body == null ? BodyPublishers.noBody() : body.get())
                    .header("User-Agent", options.userAgent());
            call.headers().forEach(b::header);
            if ("http".equals(uri.getScheme())) {
                b.version(HttpClient.Version.HTTP_1_1); // no h2c upgrade dance on plain text
            }
            if (authorization != null && sameOrigin(uri, base)) {
                b.header("Authorization", authorization);
            }
            HttpResponse<InputStream> resp;
            TransferLimits limits = options.transferLimits();
            try {
                resp = body == null && (method.equals("GET") || method.equals("HEAD"))
                        ? direct.send(b.build(), limits, call.blobBytes(), call.what())
                        : Bodies.exchange(http.get(), b.build(), limits.deadlineForUpload(call.uploadBytes()),
                        call.what());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException(call.what() + " interrupted", e);
            }
            Optional<String> location = resp.headers().firstValue("Location");
            if (!REDIRECTS.contains(resp.statusCode()) || location.isEmpty()) {
                return resp;
            }
            Bodies.discard(resp.body());
            URI next = resolveLocation(uri, location.get(), call.what());
            if ("https".equals(uri.getScheme()) && "http".equals(next.getScheme())) {
                throw new UnavailableException(call.what() + ": refusing a redirect from HTTPS to plain HTTP ("
                        + next.getScheme() + "://" + next.getAuthority() + ")");
            }
            if (resp.statusCode() == 303 && !method.equals("HEAD")) {
                method = "GET";
                body = null;
            }
            uri = next;
        }
        throw new UnavailableException(call.what() + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private void sleep(java.time.Duration d, Call call) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException(call.what() + " interrupted while waiting to retry", e);
        }
    }

    // ---- helpers ----

    /** Same scheme, host and effective port: the only places the registry's Authorization may go. */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static URI resolveLocation(URI from, String location, String what) {
        try {
            URI next = from.resolve(location.trim());
            if (next.getScheme() == null || !(next.getScheme().equals("http") || next.getScheme().equals("https"))
                    || next.getHost() == null) {
                throw new UnavailableException(what + ": unusable Location '" + abbreviate(location) + "'");
            }
            return next;
        } catch (IllegalArgumentException e) {
            throw new UnavailableException(what + ": invalid Location '" + abbreviate(location) + "'", e);
        }
    }

    private static URI location(HttpResponse<?> resp, String what) {
        String loc = resp.headers().firstValue("Location").orElseThrow(() -> new UnavailableException(what
                + ": the registry sent no Location for the upload session"));
        return resolveLocation(resp.uri(), loc, what);
    }

    private static URI withQuery(URI uri, String param) {
        String s = uri.toString();
        return URI.create(s + (uri.getRawQuery() == null ? "?" : "&") + param);
    }

    private static void checkCreatedDigest(HttpResponse<?> resp, Digest expected, String what) {
        Optional<String> served = resp.headers().firstValue("Docker-Content-Digest");
        if (served.isPresent()) {
            Digest d = parseDigestHeader(served.get(), what);
            if (!d.equals(expected)) {
                throw new DigestMismatchException(what + ": the registry stored " + d + ", expected " + expected);
            }
        }
    }

    private static Digest parseDigestHeader(String value, String what) {
        try {
            return Digest.parse(value.trim());
        } catch (InvalidDigestException e) {
            throw new InvalidImageException(what + ": invalid Docker-Content-Digest: " + e.getMessage(), e);
        }
    }

    private URI manifestUri(String repository, String reference) {
        return base.resolve("/v2/" + repo(repository) + "/manifests/" + reference);
    }

    private URI blobUri(String repository, Digest digest) {
        return base.resolve("/v2/" + repo(repository) + "/blobs/" + digest);
    }

    /** A digest when {@code reference} is one, null for a valid tag; anything else is refused before use in a URL. */
    private static Digest checkReference(String reference) {
        if (reference != null && reference.indexOf(':') >= 0) {
            return Digest.parse(reference);
        }
        if (reference == null || !TAG.matcher(reference).matches()) {
            throw new StrataException(ErrorKind.INVALID_ARGUMENT, "invalid tag or digest '"
                    + abbreviate(String.valueOf(reference)) + "'");
        }
        return null;
    }

    private static String repo(String repository) {
        if (repository == null || repository.length() > 255 || !REPOSITORY.matcher(repository).matches()) {
            throw new StrataException(ErrorKind.INVALID_ARGUMENT, "invalid repository name '"
                    + abbreviate(String.valueOf(repository)) + "'");
        }
        return repository;
    }

    private String name(String repository) {
        return registry + "/" + repository;
    }

    private static List<String> pull(String repository) {
        return List.of(scope(repository, "pull"));
    }

    private static List<String> push(String repository) {
        return List.of(scope(repository, "pull,push"));
    }

    private static String scope(String repository, String actions) {
        return "repository:" + repo(repository) + ":" + actions;
    }

    private static String stripParameters(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "…";
    }
}
