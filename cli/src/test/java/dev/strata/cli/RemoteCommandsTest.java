package dev.strata.cli;

import dev.strata.image.digest.Digest;
import dev.strata.image.model.Platform;
import dev.strata.image.registry.RegistryClient;
import dev.strata.image.registry.RegistryOptions;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The commands that ask a registry without storing anything — inspect docker://, digest, list-tags, catalog, tag,
 * delete — against a real docker-registry whose access log shows what was sent.
 */
class RemoteCommandsTest {
    private static final Platform AMD64 = new Platform("linux", "amd64");
    private static final Platform ARM64 = new Platform("linux", "arm64", "v8");

    @TempDir
    static Path shared;
    static TestRegistry registry;
    static OciImages.Image app;
    static OciImages.Image arm;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistry() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.requireTool("skopeo");
        registry = TestRegistry.startWithAccessLog(shared.resolve("registry"));
        app = OciImages.image(AMD64, Map.of("etc/motd", "remote\n"));
        arm = OciImages.image(ARM64, Map.of("arch", "arm64\n"));
        OciImages.writeLayout(shared.resolve("single"), "app", app);
        OciImages.writeMultiPlatform(shared.resolve("multi"), "v1", List.of(app, arm), List.of(AMD64, ARM64));
        for (String tag : List.of("1", "2", "3", "4", "5")) {
            registry.seed(shared.resolve("single"), "app", "remote/app", tag, false);
        }
        registry.seed(shared.resolve("multi"), "v1", "remote/multi", "v1", true);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    /** stdout as bytes: --raw must be exactly the document. */
    private static byte[] rawOut(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        synchronized (CliRun.class) {
            try {
                System.setOut(new PrintStream(bytes, true));
                assertThat(ImageTool.execute(args)).isZero();
            } finally {
                System.setOut(old);
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void inspectOfARegistryImageShowsItAndStoresNothing() throws Exception {
        String ref = "docker://" + registry.host() + "/remote/multi:v1";
        Path root = tmp.resolve("store");
        CliRun json = CliRun.ok("--root", root.toString(), "inspect", "--json", "--platform", "linux/arm64/v8", ref);
        assertThat(json.out()).contains("\"platforms\"").contains("linux/amd64").contains("linux/arm64/v8")
                .contains("\"manifestDigest\" : \"" + arm.manifest().digest() + "\"")
                .contains("\"tags\" : [ \"v1\" ]");
        assertThat(root).as("nothing stored").doesNotExist();

        byte[] manifest = rawOut("inspect", "--raw", "manifest", "docker://" + registry.host() + "/remote/app:1");
        assertThat(Digest.sha256(manifest)).isEqualTo(app.manifest().digest());
        byte[] config = rawOut("inspect", "--raw", "config", "docker://" + registry.host() + "/remote/app:1");
        assertThat(config).isEqualTo(app.config());
    }

    @Test
    void digestIsTheManifestDigestFromAHead() {
        int before = registry.requests().size();
        CliRun r = CliRun.ok("digest", "docker://" + registry.host() + "/remote/app:3");
        assertThat(r.out().trim()).isEqualTo(app.manifest().digest().toString());
        assertThat(registry.requests().subList(before, registry.requests().size()))
                .as("one HEAD, no GET of the manifest").allMatch(q -> !q.startsWith("GET /v2/remote/app/manifests"));
    }

    @Test
    void listTagsListsEveryTag() {
        CliRun r = CliRun.ok("list-tags", "docker://" + registry.host() + "/remote/app");
        assertThat(r.out().lines().toList()).containsExactlyInAnyOrder("1", "2", "3", "4", "5");
        CliRun json = CliRun.ok("list-tags", "--json", registry.host() + "/remote/app");
        assertThat(json.out()).contains("\"tags\" : [").contains("\"4\"");
        assertThat(CliRun.of("list-tags", "docker://" + registry.host() + "/no/such").code()).isEqualTo(3);
    }

    @Test
    void catalogListsTheRepositories() {
        CliRun r = CliRun.ok("catalog", registry.host());
        assertThat(r.out().lines().toList()).contains("remote/app", "remote/multi");
        RegistryClient client = RegistryClient.create(registry.host(), RegistryOptions.anonymous());
        int before = registry.requests().size();
        List<String> paged = client.catalog(1);
        assertThat(paged).contains("remote/app", "remote/multi");
        assertThat(registry.requests().subList(before, registry.requests().size()))
                .as("one page per repository, following Link").filteredOn(q -> q.startsWith("GET /v2/_catalog"))
                .hasSize(paged.size());
    }

    @Test
    void tagSendsTheManifestAgainAndNoBlob() {
        int before = registry.requests().size();
        CliRun.ok("tag", "docker://" + registry.host() + "/remote/app:1", "stable");
        List<String> sent = registry.requests().subList(before, registry.requests().size());
        assertThat(sent).filteredOn(q -> q.contains("/blobs/")).isEmpty();
        assertThat(registry.inspect("remote/app", "stable")).contains(app.manifest().digest().toString());
        assertThat(CliRun.of("tag", "docker://" + registry.host() + "/remote/app:1", "bad tag!").code())
                .isEqualTo(2);
    }

    @Test
    void deleteRefusesWhenOtherTagsNameTheManifestUnlessForced() throws Exception {
        registry.seed(shared.resolve("multi"), "v1", "remote/del", "a", true);
        registry.seed(shared.resolve("multi"), "v1", "remote/del", "b", true);
        String a = "docker://" + registry.host() + "/remote/del:a";
        CliRun refused = CliRun.of("delete", a);
        assertThat(refused.code()).as(refused.err()).isEqualTo(8);
        assertThat(refused.err()).contains("b").contains("--force");
        assertThat(CliRun.ok("digest", a).out()).isNotBlank();
        CliRun forced = CliRun.ok("delete", "--force", a);
        assertThat(forced.out()).contains("Deleted").contains("b");
        assertThat(CliRun.of("digest", a).code()).isEqualTo(3);
        assertThat(CliRun.of("digest", "docker://" + registry.host() + "/remote/del:b").code()).isEqualTo(3);
    }

}
