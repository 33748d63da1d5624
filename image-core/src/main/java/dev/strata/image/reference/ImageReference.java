package dev.strata.image.reference;

import dev.strata.image.InvalidDigestException;
import dev.strata.image.InvalidReferenceException;
import dev.strata.image.digest.Digest;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * A fully qualified image reference such as {@code docker.io/library/busybox:latest}, following the docker
 * reference grammar ({@code [registry/]path[:tag][@digest]}).
 *
 * <p>Values are always canonical: the registry is explicit ({@code docker.io} when none is written,
 * {@code index.docker.io} becomes {@code docker.io}), single-component Docker Hub repositories get the
 * {@code library/} prefix, and a reference without tag and digest gets the tag {@code latest}. So two references
 * that pull the same thing compare equal.
 *
 * <p>The grammar is checked piece by piece rather than with one large regular expression, so that an invalid
 * input is reported with the part that is wrong and why.
 *
 * @param registry   host with optional port: {@code docker.io}, {@code localhost:5000}, {@code [::1]:5000}
 * @param repository slash-separated lowercase path: {@code library/busybox}
 * @param tag        may be null when a digest is given
 * @param digest     may be null; when present it is what a pull fetches, even if a tag is given too
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {

    public static final String DOCKER_HUB = "docker.io";
    public static final String DEFAULT_TAG = "latest";

    /** The host Docker Hub's registry API actually answers on; {@code docker.io} itself does not serve /v2/. */
    static final String DOCKER_HUB_API_HOST = "registry-1.docker.io";
    private static final String LEGACY_DOCKER_HUB = "index.docker.io";
    private static final String OFFICIAL_PREFIX = "library/";
    static final int MAX_NAME_LENGTH = 255;
    static final int MAX_TAG_LENGTH = 128;

    /** Validates every part and brings the value into canonical form (see the class comment). */
    public ImageReference {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(repository, "repository");
        String problem = registryProblem(registry);
        if (problem != null) {
            throw new InvalidReferenceException("invalid registry '" + abbreviate(registry) + "': " + problem);
        }
        problem = repositoryProblem(repository);
        if (problem != null) {
            throw new InvalidReferenceException("invalid repository '" + abbreviate(repository) + "': " + problem);
        }
        if (tag != null && (problem = tagProblem(tag)) != null) {
            throw new InvalidReferenceException("invalid tag '" + abbreviate(tag) + "': " + problem);
        }
        registry = normalizeRegistry(registry);
        if (registry.equals(DOCKER_HUB) && repository.indexOf('/') < 0) {
            repository = OFFICIAL_PREFIX + repository;
        }
        if ((problem = nameLengthProblem(registry, repository)) != null) {
            throw new InvalidReferenceException("invalid repository '" + abbreviate(repository) + "': " + problem);
        }
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
    }

    /**
     * Parses a reference as {@code docker pull} understands it: {@code busybox}, {@code user/repo:1.0},
     * {@code localhost:5000/a/b@sha256:…}, {@code quay.io/x/y:tag@sha256:…}.
     *
     * @throws InvalidReferenceException naming the input and what is wrong with it
     */
    public static ImageReference parse(String input) {
        if (input == null) {
            throw new InvalidReferenceException("invalid reference: null");
        }
        if (input.isEmpty()) {
            throw invalid(input, "the reference is empty");
        }
        for (int i = 0; i < input.length(); i++) {
            char c = input.charAt(i);
            if (Character.isWhitespace(c)) {
                throw invalid(input, "contains whitespace at position " + i);
            }
            if (c < 0x20 || c == 0x7f) {
                throw invalid(input, "contains a control character at position " + i);
            }
            if (c > 0x7e) {
                throw invalid(input, "contains the non-ASCII character '" + c + "' at position " + i);
            }
        }
        if (isImageIdLike(input)) {
            // docker rejects this too: it would be ambiguous with `docker run <image id>`.
            throw invalid(input, "a 64-character hexadecimal string is an image ID, not a repository name");
        }

        String rest = input;
        Digest digest = null;
        int at = input.indexOf('@');
        if (at >= 0) {
            if (input.indexOf('@', at + 1) >= 0) {
                throw invalid(input, "contains more than one '@'");
            }
            String digestText = input.substring(at + 1);
            if (digestText.isEmpty()) {
                throw invalid(input, "nothing after '@' (expected a digest such as sha256:<64 hex>)");
            }
            try {
                digest = Digest.parse(digestText);
            } catch (InvalidDigestException e) {
                throw new InvalidReferenceException("invalid reference '" + abbreviate(input) + "': " + e.getMessage(), e);
            }
            rest = input.substring(0, at);
            if (rest.isEmpty()) {
                throw invalid(input, "no repository name before '@'");
            }
        }

        String tag = null;
        String name = rest;
        int colon = rest.lastIndexOf(':');
        // A ':' after the last '/' starts the tag; one before it belongs to the registry's port.
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            name = rest.substring(0, colon);
            if (tag.isEmpty()) {
                throw invalid(input, "nothing after ':' (expected a tag)");
            }
            String problem = tagProblem(tag);
            if (problem != null) {
                throw invalid(input, "tag '" + abbreviate(tag) + "' " + problem);
            }
            if (name.isEmpty()) {
                throw invalid(input, "no repository name before ':'");
            }
        }
        if (name.startsWith("/")) {
            throw invalid(input, "must not start with '/'");
        }

        String registry = DOCKER_HUB;
        String path = name;
        int slash = name.indexOf('/');
        if (slash > 0 && looksLikeRegistry(name.substring(0, slash))) {
            registry = name.substring(0, slash);
            path = name.substring(slash + 1);
            String problem = registryProblem(registry);
            if (problem != null) {
                throw invalid(input, "registry '" + registry + "' " + problem);
            }
            if (path.isEmpty()) {
                throw invalid(input, "no repository name after registry '" + registry + "'");
            }
        }
        if (path.indexOf(':') >= 0) {
            throw invalid(input, "has a ':' in the repository name '" + abbreviate(path)
                    + "' (a tag is written once, as name:tag; a port needs a registry followed by '/')");
        }
        String problem = repositoryProblem(path);
        if (problem != null) {
            throw invalid(input, problem);
        }
        problem = nameLengthProblem(normalizeRegistry(registry), path);
        if (problem != null) {
            throw invalid(input, problem);
        }
        return new ImageReference(registry, path, tag, digest);
    }

    /** The reference without tag and digest: {@code docker.io/library/busybox}. */
    public String name() {
        return registry + "/" + repository;
    }

    /**
     * The short form docker prints: {@code busybox:latest}, {@code user/repo:1.0}, {@code localhost:5000/x:1}.
     * Parsing it gives back an equal reference.
     */
    public String familiarName() {
        return familiarRepositoryName(registry, repository) + suffix();
    }

    /** The name without the implied parts: {@code busybox} for {@code docker.io/library/busybox}. */
    private static String familiarRepositoryName(String registry, String repository) {
        if (!registry.equals(DOCKER_HUB)) {
            return registry + "/" + repository;
        }
        String rest = repository.startsWith(OFFICIAL_PREFIX)
                ? repository.substring(OFFICIAL_PREFIX.length()) : repository;
        // library/a/b stays as is: dropping the prefix would make it parse as the user repository a/b.
        return rest.indexOf('/') < 0 ? rest : repository;
    }

    /** This reference with {@code newTag}; a digest, if any, is kept (and still wins for pulling). */
    public ImageReference withTag(String newTag) {
        Objects.requireNonNull(newTag, "tag");
        return new ImageReference(registry, repository, newTag, digest);
    }

    /** This reference pinned to {@code newDigest}; the tag, if any, is kept for display. */
    public ImageReference withDigest(Digest newDigest) {
        Objects.requireNonNull(newDigest, "digest");
        return new ImageReference(registry, repository, tag, newDigest);
    }

    /**
     * What goes into {@code /v2/<repository>/manifests/<reference>}: the digest if there is one (so the content
     * cannot change under us), else the tag.
     */
    public String reference() {
        return digest != null ? digest.toString() : tag;
    }

    /** The host (and port) to send registry API requests to: {@code registry-1.docker.io} for Docker Hub. */
    public String registryApiHost() {
        return registry.equals(DOCKER_HUB) ? DOCKER_HUB_API_HOST : registry;
    }

    /**
     * True for {@code localhost}, {@code 127.0.0.0/8} and {@code ::1}, with any port. Such registries are
     * commonly served over plain HTTP, which is acceptable only when the traffic never leaves the machine.
     */
    public boolean isLoopbackRegistry() {
        String host = hostOf(registry);
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (host.startsWith("[")) {
            String literal = host.substring(1, host.length() - 1);
            try {
                // An IPv6 literal is parsed, never looked up; registryProblem has ensured it is hex and ':' only.
                return InetAddress.getByName(literal).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return isIpv4Loopback(host);
    }

    /** The full canonical form: {@code docker.io/library/busybox:latest}, {@code …:tag@sha256:…}. */
    @Override
    public String toString() {
        return name() + suffix();
    }

    private String suffix() {
        return (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    // ---- grammar checks; each returns null when fine, else what is wrong ----

    /** docker's rule: the first component names a registry iff it has a '.' or ':' or is exactly localhost. */
    private static boolean looksLikeRegistry(String component) {
        return component.indexOf('.') >= 0 || component.indexOf(':') >= 0 || component.equals("localhost");
    }

    private static String normalizeRegistry(String registry) {
        if (registry.equalsIgnoreCase(LEGACY_DOCKER_HUB) || registry.equalsIgnoreCase(DOCKER_HUB)) {
            return DOCKER_HUB;
        }
        return registry;
    }

    static String registryProblem(String registry) {
        if (registry.isEmpty()) {
            return "is empty";
        }
        String host;
        String port = null;
        if (registry.startsWith("[")) {
            int close = registry.indexOf(']');
            if (close < 0) {
                return "has an unclosed '[' (an IPv6 address is written [::1])";
            }
            host = registry.substring(0, close + 1);
            String after = registry.substring(close + 1);
            if (!after.isEmpty()) {
                if (after.charAt(0) != ':') {
                    return "has '" + after + "' after the IPv6 address (expected ':<port>')";
                }
                port = after.substring(1);
            }
            String literal = host.substring(1, host.length() - 1);
            if (literal.isEmpty() || literal.indexOf(':') < 0 || !literal.chars().allMatch(
                    c -> c == ':' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return "has an invalid IPv6 address '" + host + "'";
            }
        } else {
            int colon = registry.indexOf(':');
            if (colon >= 0 && registry.indexOf(':', colon + 1) >= 0) {
                return "has more than one ':' (an IPv6 address must be in brackets, e.g. [::1]:5000)";
            }
            host = colon < 0 ? registry : registry.substring(0, colon);
            port = colon < 0 ? null : registry.substring(colon + 1);
            String hostProblem = hostNameProblem(host);
            if (hostProblem != null) {
                return hostProblem;
            }
        }
        if (port != null) {
            if (port.isEmpty()) {
                return "has nothing after ':' (expected a port number)";
            }
            if (port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(port) > 65535) {
                return "has an invalid port '" + port + "' (expected a number up to 65535)";
            }
        }
        return null;
    }

    private static String hostNameProblem(String host) {
        if (host.isEmpty()) {
            return "has an empty host name";
        }
        for (String label : host.split("\\.", -1)) {
            if (label.isEmpty()) {
                return "has an empty label in host name '" + host + "'";
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(isAsciiLetterOrDigit(c) || c == '-')) {
                    return "has the invalid character '" + c + "' in host name '" + host + "'";
                }
            }
            if (label.startsWith("-") || label.endsWith("-")) {
                return "has the label '" + label + "' that starts or ends with '-'";
            }
        }
        return null;
    }

    static String repositoryProblem(String path) {
        if (path.isEmpty()) {
            return "the repository name is empty";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return "repository names must be lowercase ('" + abbreviate(path) + "' has '" + c + "')";
            }
        }
        if (path.startsWith("/")) {
            return "must not start with '/'";
        }
        if (path.endsWith("/")) {
            return "must not end with '/'";
        }
        for (String component : path.split("/", -1)) {
            if (component.isEmpty()) {
                return "has an empty path component ('//')";
            }
            String problem = pathComponentProblem(component);
            if (problem != null) {
                return "path component '" + abbreviate(component) + "' " + problem;
            }
        }
        return null;
    }

    /** One component: {@code [a-z0-9]+} groups joined by '.', '_', '__' or a run of '-'. */
    private static String pathComponentProblem(String component) {
        for (int i = 0; i < component.length(); i++) {
            char c = component.charAt(i);
            if (!(isLowerAlnum(c) || c == '.' || c == '_' || c == '-')) {
                return "contains the invalid character '" + c + "' (allowed: a-z, 0-9, '.', '_', '-')";
            }
        }
        if (!isLowerAlnum(component.charAt(0))) {
            return "must start with a lowercase letter or digit";
        }
        if (!isLowerAlnum(component.charAt(component.length() - 1))) {
            return "must end with a lowercase letter or digit";
        }
        int i = 0;
        while (i < component.length()) {
            if (isLowerAlnum(component.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            while (i < component.length() && !isLowerAlnum(component.charAt(i))) {
                i++;
            }
            String separator = component.substring(start, i);
            boolean ok = separator.equals(".") || separator.equals("_") || separator.equals("__")
                    || separator.chars().allMatch(c -> c == '-');
            if (!ok) {
                return "has the separator '" + separator
                        + "' (between letters and digits only '.', '_', '__' or dashes are allowed)";
            }
        }
        return null;
    }

    /**
     * docker's 255-character limit, measured on the familiar name ({@code busybox}, not
     * {@code docker.io/library/busybox}) so that the long and the short spelling of a reference are both accepted
     * or both rejected; docker itself measures the name as typed, so its canonical form may not parse back.
     */
    private static String nameLengthProblem(String canonicalRegistry, String path) {
        String repository = canonicalRegistry.equals(DOCKER_HUB) && path.indexOf('/') < 0 ? OFFICIAL_PREFIX + path : path;
        int length = familiarRepositoryName(canonicalRegistry, repository).length();
        if (length > MAX_NAME_LENGTH) {
            return "the name is " + length + " characters long; at most " + MAX_NAME_LENGTH + " are allowed";
        }
        return null;
    }

    static String tagProblem(String tag) {
        if (tag.isEmpty()) {
            return "is empty";
        }
        if (tag.length() > MAX_TAG_LENGTH) {
            return "is " + tag.length() + " characters long; at most " + MAX_TAG_LENGTH + " are allowed";
        }
        char first = tag.charAt(0);
        if (!(isAsciiLetterOrDigit(first) || first == '_')) {
            return "must start with a letter, digit or '_'";
        }
        for (int i = 1; i < tag.length(); i++) {
            char c = tag.charAt(i);
            if (!(isAsciiLetterOrDigit(c) || c == '_' || c == '.' || c == '-')) {
                return "contains the invalid character '" + c + "' (allowed: letters, digits, '_', '.', '-')";
            }
        }
        return null;
    }

    private static String hostOf(String registry) {
        if (registry.startsWith("[")) {
            return registry.substring(0, registry.indexOf(']') + 1);
        }
        int colon = registry.indexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }

    private static boolean isIpv4Loopback(String host) {
        String[] octets = host.split("\\.", -1);
        if (octets.length != 4) {
            return false;
        }
        for (String octet : octets) {
            if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return octets[0].equals("127");
    }

    private static boolean isImageIdLike(String s) {
        return s.length() == 64 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    private static boolean isLowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
    }

    private static InvalidReferenceException invalid(String input, String problem) {
        return new InvalidReferenceException("invalid reference '" + abbreviate(input) + "': " + problem);
    }

    /** Keeps error messages readable when a hostile input is megabytes long. */
    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "…(" + s.length() + " chars)";
    }
}
