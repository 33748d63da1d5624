package dev.strata.image.model;

import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Covers image config parsing: Docker and OCI configs, runtime defaults, DiffIDs, history and hostile input. */
class ImageConfigTest {
    static final String D1 = "sha256:" + "1".repeat(64);
    static final String D2 = "sha256:" + "2".repeat(64);

    /** Shaped like what `docker build` writes: nulls for empty lists, extra fields, history with empty layers. */
    static final String DOCKER_CONFIG = """
            {"architecture":"arm64","variant":"v8","os":"linux","author":"someone",
             "created":"2024-03-01T10:20:30.123456789Z","docker_version":"24.0.7",
             "config":{"Hostname":"","User":"app:app","Env":["PATH=/usr/bin","LANG=C.UTF-8"],"Cmd":null,
               "Entrypoint":["/bin/sh","-c"],"WorkingDir":"/srv","Labels":{"org.example.a":"1","b":"two"},
               "ExposedPorts":{"80/tcp":{},"53/udp":{}},"Volumes":{"/data":{}},"StopSignal":"SIGTERM",
               "ArgsEscaped":true,"OnBuild":null},
             "container_config":{"Cmd":["/bin/sh"]},
             "rootfs":{"type":"layers","diff_ids":["%s","%s"]},
             "history":[{"created":"2024-03-01T10:00:00+02:00","created_by":"ADD file:x in /","comment":"base"},
                        {"created":"2024-03-01T10:20:30Z","created_by":"ENV LANG=C.UTF-8","empty_layer":true},
                        {"created_by":"RUN make","author":"me"}]}
            """.formatted(D1, D2);

    static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsDockerConfig() {
        byte[] raw = bytes(DOCKER_CONFIG);
        ImageConfig c = Manifests.parseConfig(raw);
        assertThat(c.architecture()).isEqualTo("arm64");
        assertThat(c.os()).isEqualTo("linux");
        assertThat(c.variant()).isEqualTo("v8");
        assertThat(c.osVersion()).isNull();
        assertThat(c.author()).isEqualTo("someone");
        assertThat(c.created()).isEqualTo(Instant.parse("2024-03-01T10:20:30.123456789Z"));
        assertThat(c.platform()).isEqualTo(new Platform("linux", "arm64", "v8"));
        assertThat(c.platform().normalized()).isEqualTo(Platform.parse("linux/arm64"));

        RuntimeConfig r = c.config();
        assertThat(r.user()).isEqualTo("app:app");
        assertThat(r.env()).containsExactly("PATH=/usr/bin", "LANG=C.UTF-8");
        assertThat(r.cmd()).isEmpty();
        assertThat(r.entrypoint()).containsExactly("/bin/sh", "-c");
        assertThat(r.workingDir()).isEqualTo("/srv");
        assertThat(r.labels()).isEqualTo(Map.of("org.example.a", "1", "b", "two"));
        assertThat(r.exposedPorts()).containsExactlyInAnyOrder("80/tcp", "53/udp");
        assertThat(r.volumes()).containsExactly("/data");
        assertThat(r.stopSignal()).isEqualTo("SIGTERM");

        assertThat(c.rootfsType()).isEqualTo("layers");
        assertThat(c.diffIds()).containsExactly(Digest.parse(D1), Digest.parse(D2));
        assertThat(c.history()).containsExactly(
                new HistoryEntry(Instant.parse("2024-03-01T08:00:00Z"), "ADD file:x in /", null, "base", false),
                new HistoryEntry(Instant.parse("2024-03-01T10:20:30Z"), "ENV LANG=C.UTF-8", null, null, true),
                new HistoryEntry(null, "RUN make", "me", null, false));
        assertThat(c.history().stream().filter(h -> !h.emptyLayer()).count()).isEqualTo(c.diffIds().size());

        assertThat(c.raw()).isEqualTo(raw);
        assertThat(c.digest()).isEqualTo(Digest.sha256(raw));
        assertThat(c.size()).isEqualTo(raw.length);
    }

    @Test
    void readsMinimalOciConfig() {
        ImageConfig c = Manifests.parseConfig(bytes("""
                {"architecture":"amd64","os":"windows","os.version":"10.0.17763.1040",
                 "rootfs":{"type":"layers","diff_ids":[]}}"""));
        assertThat(c.platform()).isEqualTo(new Platform("windows", "amd64", null, "10.0.17763.1040", List.of()));
        assertThat(c.config()).isEqualTo(RuntimeConfig.EMPTY);
        assertThat(c.diffIds()).isEmpty();
        assertThat(c.history()).isEmpty();
        assertThat(c.created()).isNull();
    }

    @Test
    void rawBytesAreCopiedBothWays() {
        byte[] raw = bytes(DOCKER_CONFIG);
        ImageConfig c = Manifests.parseConfig(raw);
        Arrays.fill(raw, (byte) 0);
        c.raw()[0] = 0;
        assertThat(c.raw()).isEqualTo(bytes(DOCKER_CONFIG));
        assertThat(Manifests.parseConfig(c.raw())).isEqualTo(c);
    }

    static Stream<Arguments> hostile() {
        String ok = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + D1 + "\"]}";
        return Stream.of(
                hostile("rootfs type not layers", ok.replace("\"layers\"", "\"tar\"") + "}", "$.rootfs.type: ",
                        "must be 'layers', got 'tar'"),
                hostile("rootfs missing", "{\"architecture\":\"amd64\",\"os\":\"linux\"}", "$.rootfs: ",
                        "required field is missing"),
                hostile("diff_ids missing", "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
                        + "\"layers\"}}", "$.rootfs.diff_ids: ", "required field is missing"),
                hostile("diff_id invalid", ok.replace("\"]}", "\",\"sha256:abc\"]}") + "}", "$.rootfs.diff_ids[1]: ",
                        "invalid digest 'sha256:abc'"),
                hostile("diff_id not a string", ok.replace("[\"" + D1 + "\"]", "[1]") + "}",
                        "$.rootfs.diff_ids[0]: ", "expected a string"),
                hostile("architecture missing", ok.replace("\"architecture\":\"amd64\",", "") + "}",
                        "$.architecture: ", "required field is missing"),
                hostile("os empty", ok.replace("\"linux\"", "\"\"") + "}", "$.os: ", "must not be empty"),
                hostile("Env as string", ok + ",\"config\":{\"Env\":\"PATH=/bin\"}}", "$.config.Env: ",
                        "expected an array, got string"),
                hostile("Env entry not a string", ok + ",\"config\":{\"Env\":[\"A=1\",2]}}", "$.config.Env[1]: ",
                        "expected a string, got integer 2"),
                hostile("Labels value not a string", ok + ",\"config\":{\"Labels\":{\"a.b\":false}}}",
                        "$.config.Labels['a.b']: ", "expected a string, got boolean"),
                hostile("ExposedPorts as array", ok + ",\"config\":{\"ExposedPorts\":[\"80/tcp\"]}}",
                        "$.config.ExposedPorts: ", "expected an object, got array"),
                hostile("config as string", ok + ",\"config\":\"x\"}", "$.config: ", "expected an object"),
                hostile("created not RFC 3339", ok + ",\"created\":\"yesterday\"}", "$.created: ",
                        "invalid RFC 3339 timestamp 'yesterday'"),
                hostile("history entry empty_layer as string", ok + ",\"history\":[{},{\"empty_layer\":\"true\"}]}",
                        "$.history[1].empty_layer: ", "expected a boolean, got string"),
                hostile("duplicate label", ok + ",\"config\":{\"Labels\":{\"x\":\"1\",\"x\":\"2\"}}}",
                        "$.config.Labels.x: ", "Duplicate field 'x'"),
                hostile("trailing garbage", ok + "}}", "$: ", "unexpected content after"),
                hostile("not an object", "[]", "$: ", "expected a JSON object, got array"));
    }

    static Arguments hostile(String name, String json, String path, String message) {
        return Arguments.of(Named.of(name, bytes(json)), path, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void rejectsInvalidConfigsNamingThePath(byte[] raw, String path, String message) {
        assertThatThrownBy(() -> Manifests.parseConfig(raw)).isInstanceOf(InvalidImageException.class)
                .hasMessageStartingWith(path).hasMessageContaining(message)
                .hasMessageContaining("(image config " + Digest.sha256(raw) + ")");
    }
}
