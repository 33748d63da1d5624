package dev.strata.image.model;

import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import dev.strata.image.internal.JsonTrees;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Config edits: new JSON that keeps what it does not change and reads back, strictly, to what was asked. */
class ConfigEditorTest {
    static final String D1 = "sha256:" + "1".repeat(64);
    static final Digest D3 = Digest.parse("sha256:" + "3".repeat(64));

    /** Unknown members at the top, inside config, inside rootfs and inside a history entry. */
    static final String SOURCE = """
            {"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","docker_version":"24.0.7",
             "x-vendor":{"nested":{"deep":[1,2.5,"three",null,true]}},
             "config":{"Hostname":"h","User":"app","Env":["PATH=/usr/bin","LANG=C"],"Cmd":null,"Entrypoint":[],
               "Labels":{"z":"1","a":"2","m":"3"},"ExposedPorts":{"80/tcp":{}},
               "Healthcheck":{"Test":["CMD","true"],"Interval":30000000000},"OnBuild":null},
             "container_config":{"Cmd":["/bin/sh"]},
             "rootfs":{"type":"layers","diff_ids":["%s"],"x-rootfs":"kept"},
             "history":[{"created":"2024-01-01T00:00:00Z","created_by":"ADD x","x-history":7}]}
            """.formatted(D1);

    static ImageConfig source() {
        return Manifests.parseConfig(SOURCE.getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode tree(ImageConfig c) throws IOException {
        return JsonTrees.read(c.raw());
    }

    @Test
    void readsExplicitEmptyEntrypointAndNullCmd() {
        RuntimeConfig r = source().config();
        assertThat(r.entrypoint()).isEmpty();
        assertThat(r.explicitEmptyEntrypoint()).isTrue();
        assertThat(r.cmd()).isEmpty();
        assertThat(r.explicitEmptyCmd()).isFalse();
        assertThat(r.labels().keySet()).containsExactly("z", "a", "m");
    }

    @Test
    void noEditKeepsEveryMember() throws IOException {
        ImageConfig edited = source().edit().build();
        assertThat(tree(edited)).isEqualTo(tree(source()));
        assertThat(edited.config()).isEqualTo(source().config());
    }

    @Test
    void editKeepsUnknownMembersEverywhere() throws IOException {
        ImageConfig edited = source().edit()
                .runtimeConfig(b -> b.env("LANG", "C.UTF-8").label("new", "v"))
                .addLayer(D3, new HistoryEntry(Instant.parse("2025-02-03T04:05:06.5Z"), "append", "me", "c", false))
                .created(Instant.parse("2025-02-03T04:05:06Z"))
                .author("someone")
                .build();
        JsonNode t = tree(edited);
        JsonNode s = tree(source());
        assertThat(t.get("docker_version")).isEqualTo(s.get("docker_version"));
        assertThat(t.get("x-vendor")).isEqualTo(s.get("x-vendor"));
        assertThat(t.get("container_config")).isEqualTo(s.get("container_config"));
        assertThat(t.get("config").get("Hostname").textValue()).isEqualTo("h");
        assertThat(t.get("config").get("Healthcheck")).isEqualTo(s.get("config").get("Healthcheck"));
        assertThat(t.get("config").has("OnBuild")).isTrue();
        assertThat(t.get("config").get("Cmd").isNull()).as("unchanged null Cmd stays null").isTrue();
        assertThat(t.get("config").get("Entrypoint").isArray()).as("unchanged [] stays []").isTrue();
        assertThat(t.get("rootfs").get("x-rootfs").textValue()).isEqualTo("kept");
        assertThat(t.get("history").get(0).get("x-history").intValue()).isEqualTo(7);

        assertThat(edited.diffIds()).containsExactly(Digest.parse(D1), D3);
        assertThat(edited.history()).hasSize(2);
        assertThat(edited.history().get(1)).isEqualTo(
                new HistoryEntry(Instant.parse("2025-02-03T04:05:06.5Z"), "append", "me", "c", false));
        assertThat(edited.created()).isEqualTo(Instant.parse("2025-02-03T04:05:06Z"));
        assertThat(edited.author()).isEqualTo("someone");
        assertThat(edited.config().env()).containsExactly("PATH=/usr/bin", "LANG=C.UTF-8");
        assertThat(edited.config().labels().keySet()).containsExactly("z", "a", "m", "new");
        // written as strictly as read: the bytes parse back to the same value
        assertThat(Manifests.parseConfig(edited.raw())).isEqualTo(edited);
    }

    static Stream<Arguments> runtimeEdits() {
        return Stream.of(
                edit("user", b -> b.user("1000:1000")),
                edit("user removed", b -> b.user(null)),
                edit("env replaced in place", b -> b.env("PATH", "/bin")),
                edit("env appended", b -> b.env("NEW", "a b=c")),
                edit("env removed", b -> b.removeEnv("LANG")),
                edit("entrypoint set", b -> b.entrypoint(List.of("/bin/sh", "-c"))),
                edit("entrypoint none", b -> b.entrypoint(null)),
                edit("cmd explicit empty", b -> b.cmd(List.of())),
                edit("cmd set", b -> b.cmd(List.of("run", "--flag"))),
                edit("workdir", b -> b.workingDir("/srv")),
                edit("labels replaced in new order", b -> b.labels(Map.of("only", "one"))),
                edit("label removed", b -> b.removeLabel("a")),
                edit("ports", b -> b.exposedPort("53/udp").exposedPort("8080/tcp")),
                edit("ports cleared", b -> b.exposedPorts(java.util.Set.of())),
                edit("volumes", b -> b.volume("/data").volume("/var/log")),
                edit("stop signal", b -> b.stopSignal("SIGINT")),
                edit("everything at once", b -> b.user("u").env("A", "1").entrypoint(List.of("e")).cmd(List.of("c"))
                        .workingDir("/w").label("l", "v").exposedPort("1/tcp").volume("/v").stopSignal("9")));
    }

    static Arguments edit(String name, UnaryOperator<RuntimeConfig.Builder> change) {
        return Arguments.of(name, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runtimeEdits")
    void runtimeEditReadsBackAsWritten(String name, UnaryOperator<RuntimeConfig.Builder> change) throws IOException {
        RuntimeConfig wanted = change.apply(source().config().toBuilder()).build();
        ImageConfig edited = source().edit().runtimeConfig(wanted).build();
        assertThat(edited.config()).isEqualTo(wanted);
        assertThat(new java.util.ArrayList<>(edited.config().labels().entrySet()))
                .isEqualTo(new java.util.ArrayList<>(wanted.labels().entrySet()));
        assertThat(new java.util.ArrayList<>(edited.config().exposedPorts()))
                .isEqualTo(new java.util.ArrayList<>(wanted.exposedPorts()));
        assertThat(Manifests.parseConfig(edited.raw())).isEqualTo(edited);
        assertThat(tree(edited).get("config").get("Healthcheck")).isEqualTo(tree(source()).get("config")
                .get("Healthcheck"));
    }

    @Test
    void explicitEmptyAndNoneAreWrittenDifferently() throws IOException {
        ImageConfig empty = source().edit().runtimeConfig(b -> b.cmd(List.of())).build();
        assertThat(tree(empty).get("config").get("Cmd").isArray()).isTrue();
        assertThat(empty.config().explicitEmptyCmd()).isTrue();
        ImageConfig none = source().edit().runtimeConfig(b -> b.entrypoint(null)).build();
        assertThat(tree(none).get("config").has("Entrypoint")).isFalse();
        assertThat(none.config().explicitEmptyEntrypoint()).isFalse();
    }

    @Test
    void emptyLayerHistoryAndOrder() {
        HistoryEntry env = new HistoryEntry(Instant.EPOCH, "ENV A=1", null, null, true);
        HistoryEntry layer = new HistoryEntry(Instant.EPOCH, "COPY x", null, null, false);
        ImageConfig edited = source().edit().addHistory(env).addLayer(D3, layer).build();
        assertThat(edited.history()).containsSubsequence(env, layer);
        assertThat(edited.history().get(1)).isEqualTo(env);
        assertThatThrownBy(() -> source().edit().addHistory(layer)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> source().edit().addLayer(D3, env)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void createdAndAuthorCanBeRemoved() {
        ImageConfig edited = source().edit().created(null).author(null).build();
        assertThat(edited.created()).isNull();
        assertThat(edited.author()).isNull();
    }

    @Test
    void scratchConfigForPlatform() {
        ImageConfig c = ImageConfig.scratch(new Platform("linux", "arm", "v7"));
        assertThat(c.platform()).isEqualTo(new Platform("linux", "arm", "v7"));
        assertThat(c.diffIds()).isEmpty();
        assertThat(c.config()).isEqualTo(RuntimeConfig.EMPTY);
        ImageConfig built = c.edit().runtimeConfig(b -> b.cmd(List.of("/app"))).addLayer(D3, null).build();
        assertThat(built.config().cmd()).containsExactly("/app");
        assertThat(built.diffIds()).containsExactly(D3);
        assertThat(built.history()).isEmpty();
    }

    @Test
    void sourceWithoutConfigOrHistoryGetsThem() {
        ImageConfig bare = Manifests.parseConfig("""
                {"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":null}"""
                .getBytes(StandardCharsets.UTF_8));
        ImageConfig edited = bare.edit().runtimeConfig(b -> b.user("x"))
                .addHistory(new HistoryEntry(null, "USER x", null, null, true)).build();
        assertThat(edited.config().user()).isEqualTo("x");
        assertThat(edited.history()).hasSize(1);
    }

    @Test
    void limitsOfTheParserHold() {
        ConfigEditor e = source().edit();
        HistoryEntry h = new HistoryEntry(null, "x", null, null, true);
        for (int i = 0; i < 10_000; i++) {
            e.addHistory(h);
        }
        assertThatThrownBy(e::build).isInstanceOf(InvalidImageException.class).hasMessageContaining("10000");
    }

    @Test
    void builderEnvRules() {
        RuntimeConfig r = RuntimeConfig.builder().env(List.of("A=1", "B=2", "A=3")).env("A", "x").build();
        assertThat(r.env()).containsExactly("A=x", "B=2");
        assertThat(r.envValue("B")).isEqualTo("2");
        assertThat(r.envValue("C")).isNull();
        assertThatThrownBy(() -> RuntimeConfig.builder().env("A=B", "1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RuntimeConfig.builder().env("", "1")).isInstanceOf(IllegalArgumentException.class);
    }
}
