package dev.strata.image.registry;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.StrataException;
import dev.strata.image.reference.ImageReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** registries.conf v2 parsing and endpoint selection, as containers/image reads the file. */
class RegistriesConfTest {
    private static final String CONF = """
            unqualified-search-registries = ["quay.io", "docker.io"]
            short-name-mode = "enforcing"   # known to containers/image, not used here: ignored
            some-future-key = 1             # unknown: ignored, as containers/image ignores undecoded keys

            [[registry]]
            prefix = "example.com"
            location = "example.com"
            [[registry.mirror]]
            location = "mirror-a.local:5000"
            [[registry.mirror]]
            location = "mirror-b.local/cache/"
            insecure = true

            [[registry]]
            prefix = "example.com/foo"
            location = "internal.local:5000/bar"
            insecure = true

            [[registry]]
            prefix = "*.corp.test"
            [[registry.mirror]]
            location = "corp-mirror.local"

            [[registry]]
            location = "pinned.test"
            mirror-by-digest-only = true
            [[registry.mirror]]
            location = "pin-mirror.local"

            [[registry]]
            prefix = "split.test"
            [[registry.mirror]]
            location = "tags.local"
            pull-from-mirror = "tag-only"
            [[registry.mirror]]
            location = "digests.local"
            pull-from-mirror = "digest-only"

            [[registry]]
            prefix = "evil.test"
            blocked = true

            [[registry.mirror]]
            location = "never-used.local"
            """;
    private static final String DIGEST = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static List<String> endpoints(RegistriesConf conf, String ref) {
        return conf.endpointsFor(ImageReference.parse(ref)).stream()
                .map(e -> (e.mirror() ? "mirror " : "primary ") + e.reference() + (e.insecure() ? " insecure" : ""))
                .toList();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // longest prefix wins; mirrors first, in order; trailing slash of a location dropped
            "example.com/app:1|mirror mirror-a.local:5000/app:1;mirror mirror-b.local/cache/app:1 insecure;"
                    + "primary example.com/app:1",
            // the longer prefix example.com/foo rewrites to its location; no mirrors there
            "example.com/foo/app:1|primary internal.local:5000/bar/app:1 insecure",
            // a prefix matches at a component boundary only
            "example.com/foobar:1|mirror mirror-a.local:5000/foobar:1;mirror mirror-b.local/cache/foobar:1 insecure;"
                    + "primary example.com/foobar:1",
            "example.community/x:1|primary example.community/x:1",
            // wildcard: any subdomain host, the matched host replaced by the mirror's location
            "a.b.corp.test/team/app:2|mirror corp-mirror.local/team/app:2;primary a.b.corp.test/team/app:2",
            "corp.test/app:2|primary corp.test/app:2",
            // mirror-by-digest-only: a tag pull goes to the primary alone
            "pinned.test/app:1|primary pinned.test/app:1",
            "pinned.test/app@" + DIGEST + "|mirror pin-mirror.local/app@" + DIGEST + ";primary pinned.test/app@" + DIGEST,
            // pull-from-mirror per mirror
            "split.test/app:1|mirror tags.local/app:1;primary split.test/app:1",
            "split.test/app@" + DIGEST + "|mirror digests.local/app@" + DIGEST + ";primary split.test/app@" + DIGEST,
            // no rule: the reference itself
            "quay.io/x/y:1|primary quay.io/x/y:1",
    })
    void endpointsInOrder(String ref, String expected) {
        RegistriesConf conf = RegistriesConf.parse(CONF, "test.conf");
        assertThat(endpoints(conf, ref)).containsExactly(expected.split(";"));
    }

    @Test
    void blockedRegistryIsRefusedNamingTheRule() {
        RegistriesConf conf = RegistriesConf.parse(CONF, "test.conf");
        assertThatThrownBy(() -> conf.endpointsFor(ImageReference.parse("evil.test/app:1")))
                .isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("blocked").hasMessageContaining("\"evil.test\"").hasMessageContaining("test.conf");
    }

    @Test
    void dockerHubNamesMatchInTheirNormalizedForm() {
        RegistriesConf conf = RegistriesConf.parse("""
                [[registry]]
                prefix = "docker.io/library"
                [[registry.mirror]]
                location = "hub-cache.local:5000/library"
                """, "t");
        assertThat(endpoints(conf, "busybox")).containsExactly(
                "mirror hub-cache.local:5000/library/busybox:latest", "primary docker.io/library/busybox:latest");
    }

    @Test
    void shortNamesFollowTheSearchListInOrder() {
        RegistriesConf conf = RegistriesConf.parse(CONF, "t");
        assertThat(conf.resolveShortName("debian").stream().map(ImageReference::toString))
                .containsExactly("quay.io/debian:latest", "docker.io/library/debian:latest");
        assertThat(conf.resolveShortName("team/app:1").stream().map(ImageReference::toString))
                .containsExactly("quay.io/team/app:1", "docker.io/team/app:1");
        // qualified names are not searched
        assertThat(conf.resolveShortName("localhost/app").stream().map(ImageReference::toString))
                .containsExactly("localhost/app:latest");
        assertThat(conf.resolveShortName("host:5000/app").stream().map(ImageReference::toString))
                .containsExactly("host:5000/app:latest");
        // without a list: docker.io, as before
        assertThat(RegistriesConf.empty().resolveShortName("debian").stream().map(ImageReference::toString))
                .containsExactly("docker.io/library/debian:latest");
        assertThat(RegistriesConf.parse("", "t").searchRegistries()).isEmpty();
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "[registries.search]\\nregistries = ['docker.io']|version 1 format",
            "[registries.insecure]\\nregistries = ['a.test']|version 1 format",
            "[[registry]]\\ninsecure = true|neither prefix nor location",
            "[[registry]]\\nlocation = 'https://a.test'|URL schemes are not supported",
            "[[registry]]\\nlocation = 'a.test'\\n[[registry]]\\nprefix = 'a.test'\\nlocation = 'b.test'|defined more than once",
            "[[registry]]\\nlocation = 'a.test'\\ninsecure = 'yes'|insecure must be true or false",
            "[[registry]]\\nprefix = '*.a.test/path'\\nlocation = 'b.test'|a wildcard must be",
            "[[registry]]\\nlocation = 'a.test'\\n[[registry.mirror]]\\ninsecure = true|has no location",
            "[[registry]]\\nlocation = 'a.test'\\n[[registry.mirror]]\\nlocation = 'm.test'\\npull-from-mirror = 'some'|"
                    + "not all, digest-only or tag-only",
            "unqualified-search-registries = 'docker.io'|must be an array",
            "unqualified-search-registries = ['docker.io/library']|is not a registry host",
            "[[registry]\\nlocation = 'a.test'|not TOML",
    })
    void refusesMalformedFiles(String toml, String message) {
        assertThatThrownBy(() -> RegistriesConf.parse(toml.replace("\\n", "\n"), "bad.conf"))
                .isInstanceOf(StrataException.class)
                .hasMessageContaining("bad.conf").hasMessageContaining(message);
    }

    @Test
    void locatesTheFileAsContainersImageDoes(@TempDir Path tmp) throws Exception {
        Path home = tmp.resolve("home");
        assertThat(RegistriesConf.locate(Map.of("CONTAINERS_REGISTRIES_CONF", "/x/y.conf"), home))
                .contains(Path.of("/x/y.conf"));
        Path user = home.resolve(".config/containers/registries.conf");
        Files.createDirectories(user.getParent());
        Files.writeString(user, "unqualified-search-registries = ['quay.io']\n");
        assertThat(RegistriesConf.locate(Map.of(), home)).contains(user);
        assertThat(RegistriesConf.read(user).searchRegistries()).containsExactly("quay.io");
    }
}
