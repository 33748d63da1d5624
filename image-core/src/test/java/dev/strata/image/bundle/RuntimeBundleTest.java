package dev.strata.image.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.Manifests;
import dev.strata.image.testing.BusyboxImage;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RuntimeBundle} and {@link ExecUser}: the config.json made from an image config, against runc spec's. */
class RuntimeBundleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ user resolution

    static Stream<Arguments> users() {
        return Stream.of(
                Arguments.of("no USER is root", null, 0, 0, List.of(), "/root"),
                Arguments.of("empty USER is root", "", 0, 0, List.of(), "/root"),
                Arguments.of("root by name", "root", 0, 0, List.of(), "/root"),
                Arguments.of("uid 0", "0", 0, 0, List.of(), "/root"),
                Arguments.of("uid in passwd: its gid and groups", "1000", 1000, 1000, List.of(2000L), "/home/app"),
                Arguments.of("name: its gid and groups", "app", 1000, 1000, List.of(2000L), "/home/app"),
                Arguments.of("uid:gid, no supplementary groups", "1000:3000", 1000, 3000, List.of(), "/home/app"),
                Arguments.of("name:group by name", "app:extra", 1000, 2000, List.of(), "/home/app"),
                Arguments.of("name:gid", "app:0", 1000, 0, List.of(), "/home/app"),
                Arguments.of("uid not in passwd", "4242", 4242, 0, List.of(), "/"),
                Arguments.of("uid:gid neither in the files", "4242:4343", 4242, 4343, List.of(), "/"),
                Arguments.of("uid:group by name", "4242:extra", 4242, 2000, List.of(), "/"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void resolvesUsersAsLibcontainer(String name, String spec, long uid, long gid, List<Long> groups, String home)
            throws IOException {
        Path root = rootfs(BusyboxImage.PASSWD, BusyboxImage.GROUP);
        assertThat(ExecUser.resolve(root, spec)).isEqualTo(new ExecUser(uid, gid, groups, home));
    }

    static Stream<Arguments> unknownUsers() {
        return Stream.of(Arguments.of("nobody"), Arguments.of("app:nogroup"), Arguments.of("4242:nogroup"),
                Arguments.of("-1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unknownUsers")
    void aNameNotInTheFilesIsNotFound(String spec) throws IOException {
        Path root = rootfs(BusyboxImage.PASSWD, BusyboxImage.GROUP);
        assertThatThrownBy(() -> ExecUser.resolve(root, spec)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("unable to find");
    }

    @Test
    void withoutPasswdNumericUsersWorkAndNamesDoNot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("empty"));
        assertThat(ExecUser.resolve(root, null)).isEqualTo(ExecUser.ROOT);
        assertThat(ExecUser.resolve(root, "1234")).isEqualTo(new ExecUser(1234, 0, List.of(), "/"));
        assertThat(ExecUser.resolve(root, "1234:5678")).isEqualTo(new ExecUser(1234, 5678, List.of(), "/"));
        assertThatThrownBy(() -> ExecUser.resolve(root, "app")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> ExecUser.resolve(root, "0:wheel")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void idsOutOfRangeAreRefused() throws IOException {
        Path root = rootfs(BusyboxImage.PASSWD, BusyboxImage.GROUP);
        assertThatThrownBy(() -> ExecUser.resolve(root, "2147483648")).isInstanceOf(InvalidImageException.class);
        assertThatThrownBy(() -> ExecUser.resolve(root, "0:2147483648")).isInstanceOf(InvalidImageException.class);
    }

    @Test
    void malformedLinesAreSkippedNotReadAsRoot() throws IOException {
        Path root = rootfs("\n# comment\nbroken:x:abc:0::/:/bin/sh\n  app:x:1000:1000::/home/app:/bin/sh  \n",
                "extra:x:2000:app,other\n");
        assertThatThrownBy(() -> ExecUser.resolve(root, "broken")).isInstanceOf(NotFoundException.class);
        assertThat(ExecUser.resolve(root, "app")).isEqualTo(new ExecUser(1000, 1000, List.of(2000L), "/home/app"));
    }

    /** Files outside the rootfs that a hostile image links to; they name a user the image does not have. */
    private Path hostFiles() throws IOException {
        Path host = Files.createDirectories(tmp.resolve("host/etc"));
        Files.writeString(host.resolve("passwd"), "evil:x:4711:4711::/:/bin/sh\n");
        Files.writeString(host.resolve("group"), "evilgroup:x:4711:evil\n");
        return host;
    }

    @Test
    void passwdLinkedToAHostFileReadsNothingOfTheHost() throws IOException {
        Path host = hostFiles();
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), host.resolve("passwd"));
        Files.createSymbolicLink(root.resolve("etc/group"), Path.of("../../../../../../../" + host.resolve("group")));
        assertThatThrownBy(() -> ExecUser.resolve(root, "evil")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> ExecUser.resolve(root, "0:evilgroup")).isInstanceOf(NotFoundException.class);
        assertThat(ExecUser.resolve(root, "4711")).isEqualTo(new ExecUser(4711, 0, List.of(), "/"));

        // The same link resolved inside the root finds the root's own file there.
        Path inRoot = root.resolve(host.resolve("passwd").toString().substring(1));
        Files.createDirectories(inRoot.getParent());
        Files.writeString(inRoot, "evil:x:7:8::/in-root:/bin/sh\n");
        assertThat(ExecUser.resolve(root, "evil")).isEqualTo(new ExecUser(7, 8, List.of(), "/in-root"));
    }

    @Test
    void etcLinkedToAHostDirectoryReadsNothingOfTheHost() throws IOException {
        Path host = hostFiles();
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createSymbolicLink(root.resolve("etc"), host);
        assertThatThrownBy(() -> ExecUser.resolve(root, "evil")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void symlinksInsideTheRootAreFollowedThere() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("usr/share/base"));
        Files.writeString(root.resolve("usr/share/base/passwd"), BusyboxImage.PASSWD);
        Files.createSymbolicLink(root.resolve("usr/share/base/group.real"), Path.of("/usr/share/base/group"));
        Files.writeString(root.resolve("usr/share/base/group"), BusyboxImage.GROUP);
        Files.createDirectories(root.resolve("etc"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("../usr/share/base/passwd"));
        Files.createSymbolicLink(root.resolve("etc/group"), Path.of("/usr/share/base/group.real"));
        assertThat(ExecUser.resolve(root, "app")).isEqualTo(new ExecUser(1000, 1000, List.of(2000L), "/home/app"));
    }

    @Test
    void symlinkLoopsAndNonFilesAreInvalid() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("passwd2"));
        Files.createSymbolicLink(root.resolve("etc/passwd2"), Path.of("/etc/passwd"));
        assertThatThrownBy(() -> ExecUser.resolve(root, "app")).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("symlinks");
        Files.delete(root.resolve("etc/passwd"));
        Files.createDirectories(root.resolve("etc/passwd"));
        assertThatThrownBy(() -> ExecUser.resolve(root, "app")).isInstanceOf(InvalidImageException.class);
    }

    @Test
    void aHugePasswdIsRefused() throws IOException {
        Path root = rootfs("x".repeat(UserResolver.MAX_FILE_SIZE) + "\n", "");
        assertThatThrownBy(() -> ExecUser.resolve(root, "app")).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("larger than");
    }

    // ------------------------------------------------------------------ process

    static Stream<Arguments> commands() {
        return Stream.of(
                Arguments.of("neither: sh, as runc spec and umoci", null, null, List.of(), List.of("sh")),
                Arguments.of("only Cmd", null, List.of("/bin/ls", "-l"), List.of(), List.of("/bin/ls", "-l")),
                Arguments.of("only Entrypoint", List.of("/bin/app", "--serve"), null, List.of(),
                        List.of("/bin/app", "--serve")),
                Arguments.of("Entrypoint then Cmd", List.of("/bin/app"), List.of("--port", "80"), List.of(),
                        List.of("/bin/app", "--port", "80")),
                Arguments.of("shell form", List.of("/bin/sh", "-c", "exec app \"$0\""), List.of("x y"), List.of(),
                        List.of("/bin/sh", "-c", "exec app \"$0\"", "x y")),
                Arguments.of("args replace both", List.of("/bin/app"), List.of("--port"), List.of("/bin/id", "-u"),
                        List.of("/bin/id", "-u")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void argsFollowDockersRule(String name, List<String> entrypoint, List<String> cmd, List<String> args,
                               List<String> expected) throws IOException {
        Map<String, Object> runtime = new LinkedHashMap<>();
        runtime.put("Entrypoint", entrypoint);
        runtime.put("Cmd", cmd);
        JsonNode spec = writeAndRead(runtime, BundleOptions.defaults().withArgs(args));
        assertThat(strings(spec.at("/process/args"))).isEqualTo(expected);
    }

    @Test
    void environmentGetsADefaultPathAndTheOptionsOverIt() throws IOException {
        JsonNode none = writeAndRead(Map.of(), BundleOptions.defaults());
        assertThat(strings(none.at("/process/env"))).containsExactly(RuntimeBundle.DEFAULT_PATH, "HOME=/root");

        Map<String, Object> runtime = Map.of("Env", List.of("FOO=bar", "PATH=/opt/bin", "EMPTY="));
        JsonNode kept = writeAndRead(runtime, BundleOptions.defaults());
        assertThat(strings(kept.at("/process/env"))).containsExactly("FOO=bar", "PATH=/opt/bin", "EMPTY=",
                "HOME=/root");

        JsonNode over = writeAndRead(runtime, BundleOptions.defaults().withEnv(List.of("FOO=baz", "NEW=1"))
                .withTerminal(true));
        assertThat(strings(over.at("/process/env"))).containsExactly("FOO=baz", "PATH=/opt/bin", "EMPTY=", "NEW=1",
                "HOME=/root", "TERM=xterm");
        JsonNode home = writeAndRead(Map.of("User", "app", "Env", List.of("HOME=/data")), BundleOptions.defaults());
        assertThat(strings(home.at("/process/env"))).containsExactly(RuntimeBundle.DEFAULT_PATH, "HOME=/data");
        JsonNode appHome = writeAndRead(Map.of("User", "app"), BundleOptions.defaults());
        assertThat(strings(appHome.at("/process/env"))).containsExactly(RuntimeBundle.DEFAULT_PATH, "HOME=/home/app");
        assertThat(over.at("/process/terminal").booleanValue()).isTrue();
        assertThatThrownBy(() -> BundleOptions.defaults().withEnv(List.of("NOVALUE")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cwdIsTheWorkingDirMadeAbsolute() throws IOException {
        assertThat(writeAndRead(Map.of(), BundleOptions.defaults()).at("/process/cwd").textValue()).isEqualTo("/");
        assertThat(writeAndRead(Map.of("WorkingDir", "/work"), BundleOptions.defaults()).at("/process/cwd")
                .textValue()).isEqualTo("/work");
        assertThat(writeAndRead(Map.of("WorkingDir", "srv/app"), BundleOptions.defaults()).at("/process/cwd")
                .textValue()).isEqualTo("/srv/app");
    }

    @Test
    void userComesFromTheImageOrTheOptions() throws IOException {
        JsonNode image = writeAndRead(Map.of("User", "app"), BundleOptions.defaults());
        assertThat(image.at("/process/user/uid").longValue()).isEqualTo(1000);
        assertThat(image.at("/process/user/gid").longValue()).isEqualTo(1000);
        assertThat(image.at("/process/user/additionalGids").get(0).longValue()).isEqualTo(2000);
        JsonNode root = writeAndRead(Map.of(), BundleOptions.defaults());
        assertThat(root.at("/process/user").toString()).isEqualTo("{\"uid\":0,\"gid\":0}");
        JsonNode override = writeAndRead(Map.of("User", "app"), BundleOptions.defaults().withUser("4242:extra"));
        assertThat(override.at("/process/user").toString()).isEqualTo("{\"uid\":4242,\"gid\":2000}");
        assertThatThrownBy(() -> writeAndRead(Map.of("User", "ghost"), BundleOptions.defaults()))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("ghost");
        assertThat(tmp.resolve("bundle/config.json")).exists(); // the earlier one stays when a later write fails
    }

    // ------------------------------------------------------------------ the rest of the spec

    @Test
    void mountsNamespacesAndLimitsAreRuncSpecs() throws IOException {
        Capabilities.requireTool("runc");
        Path dir = Files.createDirectories(tmp.resolve("runc-spec"));
        Proc.ok(dir, "runc", "spec");
        JsonNode runc = JSON.readTree(dir.resolve("config.json").toFile());
        JsonNode ours = writeAndRead(Map.of("Cmd", List.of("/bin/sh")), BundleOptions.defaults());

        assertThat(ours.get("mounts")).isEqualTo(runc.get("mounts"));
        assertThat(ours.at("/linux/maskedPaths")).isEqualTo(runc.at("/linux/maskedPaths"));
        assertThat(ours.at("/linux/readonlyPaths")).isEqualTo(runc.at("/linux/readonlyPaths"));
        assertThat(ours.at("/linux/resources")).isEqualTo(runc.at("/linux/resources"));
        assertThat(ours.at("/process/rlimits")).isEqualTo(runc.at("/process/rlimits"));
        assertThat(ours.at("/process/noNewPrivileges")).isEqualTo(runc.at("/process/noNewPrivileges"));
        assertThat(types(ours.at("/linux/namespaces"))).isEqualTo(types(runc.at("/linux/namespaces")))
                .containsExactlyInAnyOrder("pid", "ipc", "uts", "mount", "network");
        assertThat(fieldNames(ours)).containsExactlyInAnyOrderElementsOf(fieldNames(runc));
        assertThat(fieldNames(ours.get("process"))).containsAll(fieldNames(runc.get("process")));
        assertThat(fieldNames(ours.get("linux"))).containsExactlyInAnyOrderElementsOf(fieldNames(runc.get("linux")));

        assertThat(ours.at("/root/path").textValue()).isEqualTo("rootfs");
        assertThat(ours.at("/root/readonly").booleanValue()).isFalse();
        assertThat(ours.at("/process/terminal").booleanValue()).isFalse();
        assertThat(ours.at("/hostname").textValue()).isEqualTo("strata");
        // Docker's defaults, none ambient (so a non-root USER keeps none past its execve)
        assertThat(strings(ours.at("/process/capabilities/bounding"))).contains("CAP_CHOWN", "CAP_KILL");
        assertThat(ours.at("/process/capabilities/ambient").isMissingNode()).isTrue();
    }

    @Test
    void anExistingDirectoryIsTheRootByItsAbsolutePath() throws IOException {
        Path elsewhere = rootfs(BusyboxImage.PASSWD, BusyboxImage.GROUP);
        Path bundle = Files.createDirectories(tmp.resolve("other-bundle"));
        RuntimeBundle.write(bundle, config(Map.of("User", "app")), BundleOptions.defaults().withRootfs(elsewhere)
                .withHostname("box-1"));
        JsonNode spec = JSON.readTree(bundle.resolve("config.json").toFile());
        assertThat(spec.at("/root/path").textValue()).isEqualTo(elsewhere.toAbsolutePath().toString());
        assertThat(spec.at("/hostname").textValue()).isEqualTo("box-1");
        assertThat(spec.at("/process/user/uid").longValue()).isEqualTo(1000);
        try (var names = Files.list(bundle)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactly("config.json");
        }
    }

    @Test
    void aMissingRootfsIsAPreconditionFailure() throws IOException {
        Path bundle = Files.createDirectories(tmp.resolve("no-rootfs"));
        assertThatThrownBy(() -> RuntimeBundle.write(bundle, config(Map.of()), BundleOptions.defaults()))
                .isInstanceOf(FailedPreconditionException.class).hasMessageContaining("rootfs");
        assertThatThrownBy(() -> BundleOptions.defaults().withHostname("bad host"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------ helpers

    private Path rootfs(String passwd, String group) throws IOException {
        Path root = Files.createDirectories(tmp.resolve("rootfs-" + System.nanoTime()));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), passwd);
        Files.writeString(root.resolve("etc/group"), group);
        return root;
    }

    private JsonNode writeAndRead(Map<String, Object> runtime, BundleOptions options) throws IOException {
        Path bundle = tmp.resolve("bundle");
        Path root = bundle.resolve("rootfs/etc");
        if (!Files.exists(root)) {
            Files.createDirectories(root);
            Files.writeString(root.resolve("passwd"), BusyboxImage.PASSWD);
            Files.writeString(root.resolve("group"), BusyboxImage.GROUP);
        }
        BundleProcess p = RuntimeBundle.write(bundle, config(runtime), options);
        JsonNode spec = JSON.readTree(bundle.resolve("config.json").toFile());
        assertThat(strings(spec.at("/process/args"))).isEqualTo(p.args());
        assertThat(strings(spec.at("/process/env"))).isEqualTo(p.env());
        assertThat(spec.at("/process/cwd").textValue()).isEqualTo(p.cwd());
        try (var names = Files.list(bundle)) {
            assertThat(names.map(n -> n.getFileName().toString())).containsExactlyInAnyOrder("config.json", "rootfs");
        }
        return spec;
    }

    static ImageConfig config(Map<String, Object> runtime) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("architecture", "amd64").put("os", "linux");
        c.set("config", JSON.valueToTree(runtime));
        c.putObject("rootfs").put("type", "layers").putArray("diff_ids").add(Digest.sha256(new byte[0]).toString());
        return Manifests.parseConfig(JSON.writeValueAsBytes(c));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.textValue()));
        return out;
    }

    private static Set<String> types(JsonNode namespaces) {
        Set<String> out = new HashSet<>();
        namespaces.forEach(n -> out.add(n.get("type").textValue()));
        return out;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
