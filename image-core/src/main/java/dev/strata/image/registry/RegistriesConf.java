package dev.strata.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.strata.image.ErrorKind;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.InvalidReferenceException;
import dev.strata.image.StrataException;
import dev.strata.image.reference.ImageReference;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Mirrors, blocked and insecure registries and the short-name search list of a containers-registries.conf(5) file,
 * version 2 format, as containers/image (podman, skopeo, buildah) reads it:
 *
 * <pre>
 * unqualified-search-registries = ["quay.io", "docker.io"]
 * [[registry]]
 * prefix = "example.com/foo"          # or "*.example.com"; defaults to location
 * location = "internal.example.com/bar"
 * insecure = false                    # plain HTTP for this location (Strata never does unverified TLS)
 * blocked = false
 * mirror-by-digest-only = false
 * [[registry.mirror]]
 * location = "mirror.local:5000/foo"
 * insecure = true
 * pull-from-mirror = "all"            # or "digest-only", "tag-only"
 * </pre>
 *
 * <p>The rule for a reference is the one with the longest prefix matching {@code registry/repository[:tag][@digest]}
 * at a component boundary ({@code /}, {@code :}, {@code @} or the end); {@code *.example.com} matches any subdomain
 * host. Its mirrors come first (in file order, those allowed for a pull by tag or by digest), then the primary,
 * whose {@code location} replaces the matched prefix. Keys this class does not use ({@code short-name-mode},
 * {@code [aliases]}, {@code credential-helpers}, unknown ones) are ignored, as containers/image ignores undecoded
 * keys; the version 1 tables ({@code [registries.search]} …) are refused, naming the v2 form. Immutable.
 */
public final class RegistriesConf {
    /** No file: no mirrors, nothing blocked, short names go to docker.io. */
    private static final RegistriesConf EMPTY = new RegistriesConf(List.of(), List.of(), "(none)");
    private static final int MAX_FILE = 1024 * 1024;

    private final List<Rule> rules;
    private final List<String> searchRegistries;
    private final String origin;

    /** Which pulls a mirror serves. */
    public enum PullFromMirror { ALL, DIGEST_ONLY, TAG_ONLY }

    /** One {@code [[registry.mirror]]}. */
    public record Mirror(String location, boolean insecure, PullFromMirror pullFrom) { }

    /** One {@code [[registry]]} table, its prefix defaulted to its location. */
    public record Rule(String prefix, String location, boolean insecure, boolean blocked, boolean mirrorByDigestOnly,
                       List<Mirror> mirrors) {
        public Rule {
            mirrors = List.copyOf(mirrors);
        }
    }

    /**
     * A place to fetch an image from: {@code reference} is the image's name there (the prefix rewritten),
     * {@code insecure} allows plain HTTP, {@code mirror} is false for the primary.
     */
    public record Endpoint(ImageReference reference, boolean insecure, boolean mirror) { }

    private RegistriesConf(List<Rule> rules, List<String> searchRegistries, String origin) {
        this.rules = List.copyOf(rules);
        this.searchRegistries = List.copyOf(searchRegistries);
        this.origin = origin;
    }

    /** No rules at all. */
    public static RegistriesConf empty() {
        return EMPTY;
    }

    /** The rules, in file order. */
    public List<Rule> rules() {
        return rules;
    }

    /** {@code unqualified-search-registries}, in order (empty when the file has none). */
    public List<String> searchRegistries() {
        return searchRegistries;
    }

    /** Reads {@code file}. */
    public static RegistriesConf read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE) {
            throw invalid(file.toString(), "the file is " + size + " bytes, more than " + MAX_FILE);
        }
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * The file containers/image would read: {@code $CONTAINERS_REGISTRIES_CONF}, else
     * {@code ~/.config/containers/registries.conf}, else {@code /etc/containers/registries.conf}; the first that
     * exists, or empty.
     */
    public static Optional<Path> locate(Map<String, String> env, Path home) {
        String fromEnv = env.get("CONTAINERS_REGISTRIES_CONF");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(Path.of(fromEnv)); // named explicitly: missing is an error when read
        }
        List<Path> candidates = new ArrayList<>();
        if (home != null) {
            candidates.add(home.resolve(".config/containers/registries.conf"));
        }
        candidates.add(Path.of("/etc/containers/registries.conf"));
        return candidates.stream().filter(Files::isRegularFile).findFirst();
    }

    /** {@link #read} of {@link #locate} for this process, or {@link #empty()} when there is no file. */
    public static RegistriesConf fromDefaultLocation() throws IOException {
        String home = System.getProperty("user.home");
        Optional<Path> file = locate(System.getenv(), home == null ? null : Path.of(home));
        return file.isPresent() ? read(file.get()) : EMPTY;
    }

    /** Parses TOML text; {@code origin} names it in messages. */
    public static RegistriesConf parse(String toml, String origin) {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(toml);
        } catch (IOException e) {
            throw invalid(origin, "not TOML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new RegistriesConf(List.of(), List.of(), origin);
        }
        if (root.has("registries")) {
            throw invalid(origin, "the version 1 format ([registries.search], [registries.insecure], "
                    + "[registries.block]) is not supported: use unqualified-search-registries and [[registry]] "
                    + "tables with insecure/blocked (containers-registries.conf(5), version 2)");
        }
        List<String> search = new ArrayList<>();
        JsonNode s = root.get("unqualified-search-registries");
        if (s != null) {
            for (JsonNode n : array(s, "unqualified-search-registries", origin)) {
                String host = location(text(n, "unqualified-search-registries", origin), origin);
                if (host.contains("/")) {
                    throw invalid(origin, "unqualified-search-registries entry '" + host + "' is not a registry host");
                }
                search.add(host);
            }
        }
        List<Rule> rules = new ArrayList<>();
        Set<String> prefixes = new HashSet<>();
        JsonNode regs = root.get("registry");
        if (regs != null) {
            for (JsonNode r : array(regs, "[[registry]]", origin)) {
                if (!r.isObject()) {
                    throw invalid(origin, "[[registry]] entries must be tables");
                }
                String loc = optionalText(r, "location", origin);
                String prefix = optionalText(r, "prefix", origin);
                if ((loc == null || loc.isEmpty()) && (prefix == null || prefix.isEmpty())) {
                    throw invalid(origin, "a [[registry]] has neither prefix nor location");
                }
                loc = loc == null || loc.isEmpty() ? null : location(loc, origin);
                prefix = prefix == null || prefix.isEmpty() ? loc : location(prefix, origin);
                if (prefix.startsWith("*") && !prefix.matches("\\*\\.[^*/:@]+")) {
                    throw invalid(origin, "prefix '" + prefix + "': a wildcard must be '*.domain' (no path)");
                }
                if (!prefixes.add(prefix)) {
                    throw invalid(origin, "prefix '" + prefix + "' is defined more than once");
                }
                List<Mirror> mirrors = new ArrayList<>();
                JsonNode ms = r.get("mirror");
                if (ms != null) {
                    for (JsonNode m : array(ms, "[[registry.mirror]]", origin)) {
                        String ml = optionalText(m, "location", origin);
                        if (ml == null || ml.isEmpty()) {
                            throw invalid(origin, "a mirror of '" + prefix + "' has no location");
                        }
                        String pf = optionalText(m, "pull-from-mirror", origin);
                        PullFromMirror from = switch (pf == null ? "" : pf) {
                            case "", "all" -> PullFromMirror.ALL;
                            case "digest-only" -> PullFromMirror.DIGEST_ONLY;
                            case "tag-only" -> PullFromMirror.TAG_ONLY;
                            default -> throw invalid(origin, "pull-from-mirror '" + pf + "' of a mirror of '"
                                    + prefix + "' is not all, digest-only or tag-only");
                        };
                        mirrors.add(new Mirror(location(ml, origin), bool(m, "insecure", origin), from));
                    }
                }
                rules.add(new Rule(prefix, loc != null ? loc : prefix.startsWith("*") ? null : prefix,
                        bool(r, "insecure", origin), bool(r, "blocked", origin),
                        bool(r, "mirror-by-digest-only", origin), mirrors));
            }
        }
        return new RegistriesConf(rules, search, origin);
    }

    /**
     * Where to fetch {@code ref} from, in the order to try: its rule's mirrors that serve this kind of pull (by tag
     * or by digest), then the primary (the rule's location, or {@code ref} itself without a rule).
     *
     * @throws FailedPreconditionException when the rule blocks the registry
     */
    public List<Endpoint> endpointsFor(ImageReference ref) {
        String full = ref.toString();
        Rule best = null;
        int bestLength = -1;
        for (Rule r : rules) {
            int n = matchLength(full, r.prefix());
            if (n > bestLength) {
                best = r;
                bestLength = n;
            }
        }
        if (best == null) {
            return List.of(new Endpoint(ref, false, false));
        }
        if (best.blocked()) {
            throw new FailedPreconditionException(ref + " is blocked: registries.conf " + origin + " has blocked = "
                    + "true for prefix \"" + best.prefix() + "\"");
        }
        String matched = full.substring(0, bestLength);
        List<Endpoint> out = new ArrayList<>();
        boolean byDigest = ref.digest() != null;
        for (Mirror m : best.mirrors()) {
            boolean serves = best.mirrorByDigestOnly() ? byDigest : switch (m.pullFrom()) {
                case ALL -> true;
                case DIGEST_ONLY -> byDigest;
                case TAG_ONLY -> !byDigest;
            };
            if (serves) {
                out.add(new Endpoint(rewrite(ref, full, matched, m.location()), m.insecure(), true));
            }
        }
        out.add(new Endpoint(best.location() == null ? ref : rewrite(ref, full, matched, best.location()),
                best.insecure(), false));
        return List.copyOf(out);
    }

    /**
     * The fully qualified candidates for {@code name} in search order: {@code name} itself when it names a registry
     * (its first component has a '.' or ':' or is localhost), else one per {@code unqualified-search-registries}
     * entry; without entries, docker.io, as {@link ImageReference#parse} has it.
     */
    public List<ImageReference> resolveShortName(String name) {
        int slash = name.indexOf('/');
        String first = slash < 0 ? "" : name.substring(0, slash);
        boolean qualified = first.contains(".") || first.contains(":") || first.equals("localhost");
        if (qualified || searchRegistries.isEmpty()) {
            return List.of(ImageReference.parse(name));
        }
        List<ImageReference> out = new ArrayList<>();
        for (String registry : searchRegistries) {
            out.add(ImageReference.parse(registry + "/" + name));
        }
        return List.copyOf(out);
    }

    /** How many characters of {@code ref} the prefix matches, or -1 (containers/image's refMatchingPrefix). */
    static int matchLength(String ref, String prefix) {
        if (prefix.startsWith("*.")) {
            String domain = prefix.substring(1); // ".example.com"
            int index = ref.indexOf(domain);
            if (index <= 0 || ref.substring(0, index).contains("/")) {
                return -1;
            }
            index += domain.length();
            return index == ref.length() || boundary(ref.charAt(index)) ? index : -1;
        }
        if (ref.length() < prefix.length() || !ref.startsWith(prefix)) {
            return -1;
        }
        return ref.length() == prefix.length() || boundary(ref.charAt(prefix.length())) ? prefix.length() : -1;
    }

    private static boolean boundary(char c) {
        return c == '/' || c == ':' || c == '@';
    }

    private static ImageReference rewrite(ImageReference ref, String full, String matched, String location) {
        String rewritten = location + full.substring(matched.length());
        try {
            ImageReference r = ImageReference.parse(rewritten);
            // A digest pins the content wherever it comes from; a rewrite that dropped it would be a bug here.
            return ref.digest() != null && r.digest() == null ? r.withDigest(ref.digest()) : r;
        } catch (InvalidReferenceException e) {
            throw new StrataException(ErrorKind.INVALID_ARGUMENT, "registries.conf: rewriting " + ref + " with "
                    + "location \"" + location + "\" gives an invalid reference: " + e.getMessage(), e);
        }
    }

    /** containers/image's parseLocation: no URL schemes, trailing slashes dropped. */
    private static String location(String value, String origin) {
        String v = value.strip();
        while (v.endsWith("/")) {
            v = v.substring(0, v.length() - 1);
        }
        if (v.startsWith("http://") || v.startsWith("https://")) {
            throw invalid(origin, "location '" + value + "': URL schemes are not supported (use insecure = true "
                    + "for plain HTTP)");
        }
        if (v.isEmpty()) {
            throw invalid(origin, "an empty location");
        }
        return v;
    }

    private static Iterable<JsonNode> array(JsonNode n, String what, String origin) {
        if (!n.isArray()) {
            throw invalid(origin, what + " must be an array");
        }
        return n::elements;
    }

    private static String text(JsonNode n, String what, String origin) {
        if (!n.isTextual()) {
            throw invalid(origin, what + " must hold strings");
        }
        return n.asText();
    }

    private static String optionalText(JsonNode table, String key, String origin) {
        JsonNode n = table.get(key);
        return n == null ? null : text(n, key, origin);
    }

    private static boolean bool(JsonNode table, String key, String origin) {
        JsonNode n = table.get(key);
        if (n == null) {
            return false;
        }
        if (!n.isBoolean()) {
            throw invalid(origin, key + " must be true or false");
        }
        return n.asBoolean();
    }

    private static StrataException invalid(String origin, String problem) {
        return new StrataException(ErrorKind.INVALID_ARGUMENT, "registries.conf " + origin + ": " + problem);
    }

    @Override
    public String toString() {
        return "RegistriesConf[" + origin + ", " + rules.size() + " rules]";
    }
}
