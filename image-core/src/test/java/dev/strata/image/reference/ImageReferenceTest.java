package dev.strata.image.reference;

import dev.strata.image.InvalidReferenceException;
import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Covers the docker reference grammar: normalization, canonical and familiar forms, and per-part error messages. */
class ImageReferenceTest {
    static final String D = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static final String D512 = "sha512:" + "ab".repeat(64);

    /** input, registry, repository, tag (null if none), digest (null if none), familiar name. */
    static Stream<Arguments> valid() {
        return Stream.of(
                arguments("busybox", "docker.io", "library/busybox", "latest", null, "busybox:latest"),
                arguments("user/repo", "docker.io", "user/repo", "latest", null, "user/repo:latest"),
                arguments("docker.io/library/ubuntu", "docker.io", "library/ubuntu", "latest", null, "ubuntu:latest"),
                arguments("docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", null, "ubuntu:latest"),
                arguments("index.docker.io/x", "docker.io", "library/x", "latest", null, "x:latest"),
                arguments("index.docker.io/user/x:1", "docker.io", "user/x", "1", null, "user/x:1"),
                arguments("docker.io/library/a/b", "docker.io", "library/a/b", "latest", null, "library/a/b:latest"),
                arguments("ubuntu:18.04", "docker.io", "library/ubuntu", "18.04", null, "ubuntu:18.04"),
                arguments("localhost/foo", "localhost", "foo", "latest", null, "localhost/foo:latest"),
                arguments("localhost:5000/a/b", "localhost:5000", "a/b", "latest", null, "localhost:5000/a/b:latest"),
                arguments("localhost:5000/foo:5000", "localhost:5000", "foo", "5000", null, "localhost:5000/foo:5000"),
                // Without a '/', "localhost:5000" is the repository localhost with tag 5000, as in docker.
                arguments("localhost:5000", "docker.io", "library/localhost", "5000", null, "localhost:5000"),
                arguments("127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", null, "127.0.0.1:5000/x:latest"),
                arguments("[::1]:5000/x", "[::1]:5000", "x", "latest", null, "[::1]:5000/x:latest"),
                arguments("[2001:db8::1]/x:t", "[2001:db8::1]", "x", "t", null, "[2001:db8::1]/x:t"),
                arguments("foo.com:8080/bar", "foo.com:8080", "bar", "latest", null, "foo.com:8080/bar:latest"),
                arguments("test:5000/repo", "test:5000", "repo", "latest", null, "test:5000/repo:latest"),
                arguments("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
                        "some-long-tag", null, "sub-dom1.foo.com/bar/baz/quux:some-long-tag"),
                arguments("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
                        "test.example.com", null, "b.gcr.io/test.example.com/my-app:test.example.com"),
                arguments("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", null,
                        "xn--n3h.com/myimage:xn--n3h.com"),
                arguments("FOO.com/bar:tag", "FOO.com", "bar", "tag", null, "FOO.com/bar:tag"),
                arguments("registry-1.docker.io/library/busybox", "registry-1.docker.io", "library/busybox", "latest",
                        null, "registry-1.docker.io/library/busybox:latest"),
                arguments("a/b/c/d", "docker.io", "a/b/c/d", "latest", null, "a/b/c/d:latest"),
                arguments("a__b/c-d---e/f.g_h0", "docker.io", "a__b/c-d---e/f.g_h0", "latest", null,
                        "a__b/c-d---e/f.g_h0:latest"),
                arguments("test_com", "docker.io", "library/test_com", "latest", null, "test_com:latest"),
                // A '.' in the only component does not make it a registry: there is no '/'.
                arguments("test.com:tag", "docker.io", "library/test.com", "tag", null, "test.com:tag"),
                arguments("test.com:5000", "docker.io", "library/test.com", "5000", null, "test.com:5000"),
                arguments("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", null,
                        "lowercase:Uppercase"),
                arguments("foo:_x.y-Z", "docker.io", "library/foo", "_x.y-Z", null, "foo:_x.y-Z"),
                arguments("foo:" + "t".repeat(128), "docker.io", "library/foo", "t".repeat(128), null,
                        "foo:" + "t".repeat(128)),
                arguments("a".repeat(255), "docker.io", "library/" + "a".repeat(255), "latest", null,
                        "a".repeat(255) + ":latest"),
                // The 255 limit applies to the familiar name, so the canonical spelling of the same name parses too.
                arguments("docker.io/library/" + "a".repeat(255), "docker.io", "library/" + "a".repeat(255), "latest",
                        null, "a".repeat(255) + ":latest"),
                arguments("busybox@" + D, "docker.io", "library/busybox", null, D, "busybox@" + D),
                arguments("busybox:1.36@" + D, "docker.io", "library/busybox", "1.36", D, "busybox:1.36@" + D),
                arguments("localhost:5000/foo@" + D512, "localhost:5000", "foo", null, D512,
                        "localhost:5000/foo@" + D512),
                arguments("quay.io/a/b:v1@" + D, "quay.io", "a/b", "v1", D, "quay.io/a/b:v1@" + D));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void parsesValidReferences(String input, String registry, String repository, String tag, String digest,
                               String familiar) {
        ImageReference ref = ImageReference.parse(input);

        assertThat(ref.registry()).isEqualTo(registry);
        assertThat(ref.repository()).isEqualTo(repository);
        assertThat(ref.tag()).isEqualTo(tag);
        assertThat(ref.digest()).isEqualTo(digest == null ? null : Digest.parse(digest));
        String canonical = registry + "/" + repository + (tag == null ? "" : ":" + tag)
                + (digest == null ? "" : "@" + digest);
        assertThat(ref.toString()).isEqualTo(canonical);
        assertThat(ref.name()).isEqualTo(registry + "/" + repository);
        assertThat(ref.familiarName()).isEqualTo(familiar);
        assertThat(ref.reference()).isEqualTo(digest != null ? digest : tag);
        // Both printed forms must read back as the same reference.
        assertThat(ImageReference.parse(ref.toString())).isEqualTo(ref);
        assertThat(ImageReference.parse(ref.familiarName())).isEqualTo(ref);
    }

    /** input, fragment the message must contain. */
    static Stream<Arguments> invalid() {
        return Stream.of(
                arguments("", "empty"),
                arguments("Uppercase:tag", "repository names must be lowercase"),
                arguments("UPPERCASE", "repository names must be lowercase"),
                arguments("Foo/bar", "repository names must be lowercase"),
                arguments("docker.io/a/B", "repository names must be lowercase"),
                arguments("a:b:c", "':' in the repository name 'a:b' (a tag is written once"),
                arguments("a/c:d:e", "':' in the repository name 'a/c:d'"),
                arguments("aa/asdf$$^/aa", "path component 'asdf$$^' contains the invalid character '$'"),
                arguments("-foo", "must start with a lowercase letter or digit"),
                arguments("foo-", "must end with a lowercase letter or digit"),
                arguments("foo/", "must not end with '/'"),
                arguments("/foo", "must not start with '/'"),
                arguments("foo//bar", "empty path component"),
                arguments("a..b", "separator '..'"),
                arguments("a/b..c", "separator '..'"),
                arguments("a___b", "separator '___'"),
                arguments("a.-b", "separator '.-'"),
                arguments("foo bar", "whitespace"),
                arguments(" foo", "whitespace at position 0"),
                arguments("foo\tbar", "whitespace"),
                arguments("foo\u0000", "control character"),
                arguments("fooé", "non-ASCII"),
                arguments("foo:", "nothing after ':'"),
                arguments("foo@", "nothing after '@'"),
                arguments(":tag", "no repository name before ':'"),
                arguments("@" + D, "no repository name before '@'"),
                arguments("foo@sha256:short", "sha256 needs 64 lowercase hex characters"),
                arguments("foo@" + D.toUpperCase().replace("SHA256", "sha256"), "uppercase is not allowed"),
                arguments("foo@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm 'md5'"),
                arguments("foo@" + D + "@" + D, "more than one '@'"),
                arguments("foo:" + "t".repeat(129), "129 characters long; at most 128"),
                arguments("foo:-tag", "must start with a letter, digit or '_'"),
                arguments("foo:.tag", "must start with a letter, digit or '_'"),
                arguments("foo:ta+g", "invalid character '+'"),
                arguments("a".repeat(256), "256 characters long; at most 255"),
                arguments("quay.io/" + "a".repeat(248) + ":tag", "256 characters long; at most 255"),
                arguments("docker.io/library/" + "a".repeat(256), "256 characters long; at most 255"),
                arguments("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "image ID"),
                arguments("localhost/", "no repository name after registry 'localhost'"),
                arguments("docker.io/", "no repository name after registry 'docker.io'"),
                arguments("localhost:/foo", "nothing after ':' (expected a port number)"),
                arguments("localhost:abc/foo", "invalid port 'abc'"),
                arguments("localhost:99999/foo", "invalid port '99999'"),
                arguments("::1:5000/foo", "IPv6 address must be in brackets"),
                arguments("[::1/foo", "unclosed '['"),
                arguments("[::1]x/foo", "after the IPv6 address"),
                arguments("[zz::1]/foo", "invalid IPv6 address '[zz::1]'"),
                arguments("foo_bar.com:8080/baz", "invalid character '_' in host name 'foo_bar.com'"),
                arguments("-foo.com/bar", "label '-foo' that starts or ends with '-'"),
                arguments("foo..com/bar", "empty label"),
                arguments(".foo/bar", "empty label"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("invalid")
    void rejectsInvalidReferencesNamingInputAndProblem(String input, String fragment) {
        String shown = input.length() <= 160 ? input : input.substring(0, 160);
        assertThatThrownBy(() -> ImageReference.parse(input))
                .isInstanceOf(InvalidReferenceException.class)
                .hasMessageStartingWith("invalid reference '" + shown)
                .hasMessageContaining(fragment);
    }

    @Test
    void nullIsRejectedWithTypedError() {
        assertThatThrownBy(() -> ImageReference.parse(null)).isInstanceOf(InvalidReferenceException.class);
    }

    @Test
    void equalReferencesWhateverTheSpelling() {
        ImageReference expected = ImageReference.parse("docker.io/library/busybox:latest");
        assertThat(ImageReference.parse("busybox")).isEqualTo(expected).hasSameHashCodeAs(expected);
        assertThat(ImageReference.parse("index.docker.io/library/busybox")).isEqualTo(expected);
        assertThat(new ImageReference("index.docker.io", "busybox", null, null)).isEqualTo(expected);
        assertThat(new ImageReference("Docker.IO", "library/busybox", "latest", null)).isEqualTo(expected);
        assertThat(ImageReference.parse("busybox:1")).isNotEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "localhost | Foo    | t    | repository names must be lowercase",
            "localhost | a//b   | t    | empty path component",
            "localhost | a      | -t   | invalid tag '-t'",
            "a_b       | x      | t    | invalid registry 'a_b'",
            "quay.io   | a/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb | t | 261 characters long",
    })
    void constructorValidatesEachPart(String registry, String repository, String tag, String fragment) {
        assertThatThrownBy(() -> new ImageReference(registry, repository, tag, null))
                .isInstanceOf(InvalidReferenceException.class)
                .hasMessageContaining(fragment);
    }

    @Test
    void withTagAndWithDigestKeepTheOtherPart() {
        ImageReference ref = ImageReference.parse("quay.io/a/b:v1");
        Digest digest = Digest.parse(D);

        ImageReference pinned = ref.withDigest(digest);
        assertThat(pinned.toString()).isEqualTo("quay.io/a/b:v1@" + D);
        assertThat(pinned.reference()).isEqualTo(D);

        ImageReference retagged = pinned.withTag("v2");
        assertThat(retagged.toString()).isEqualTo("quay.io/a/b:v2@" + D);
        assertThat(retagged.reference()).isEqualTo(D);

        assertThat(ref.withTag("v2").reference()).isEqualTo("v2");
        assertThat(ref).hasToString("quay.io/a/b:v1");
        assertThatThrownBy(() -> ref.withTag("bad tag"))
                .isInstanceOf(InvalidReferenceException.class)
                .hasMessageContaining("invalid tag 'bad tag'");
    }

    @ParameterizedTest
    @CsvSource({
            "busybox, registry-1.docker.io",
            "index.docker.io/user/x, registry-1.docker.io",
            "quay.io/a/b, quay.io",
            "localhost:5000/a, localhost:5000",
            "[::1]:5000/a, [::1]:5000",
    })
    void registryApiHostMapsDockerHubToItsApiHost(String input, String host) {
        assertThat(ImageReference.parse(input).registryApiHost()).isEqualTo(host);
    }

    @ParameterizedTest
    @CsvSource({
            "localhost/x, true",
            "localhost:5000/x, true",
            "LOCALHOST:5000/x, true",
            "127.0.0.1/x, true",
            "127.0.0.1:5000/x, true",
            "127.1.2.3:80/x, true",
            "[::1]/x, true",
            "[::1]:5000/x, true",
            "[0:0:0:0:0:0:0:1]:5000/x, true",
            "busybox, false",
            "quay.io/x, false",
            "128.0.0.1:5000/x, false",
            "10.0.0.1:5000/x, false",
            "127.0.0.1.nip.io/x, false",
            "localhost.example.com/x, false",
            "127.0.0.256/x, false",
            "[::2]:5000/x, false",
            "[2001:db8::1]/x, false",
    })
    void recognizesLoopbackRegistries(String input, boolean loopback) {
        assertThat(ImageReference.parse(input).isLoopbackRegistry()).isEqualTo(loopback);
    }
}
