package dev.strata.image.layer;

import dev.strata.image.StrataException;
import dev.strata.image.UnsafeLayerException;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.fs.RootedTreeReader;
import dev.strata.image.fs.RootedFsTesting;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Escape attempts against {@link LayerApplier} (containerd {@code TestBreakouts} style): one named case per attack,
 * each run on a fresh {@code tmp/outside} + {@code tmp/root} layout in both whiteout forms, pipelined or not, and
 * through both {@link RootedFs} resolvers; the outside tree must never change and nothing may appear beside it.
 */
@Timeout(60)
class HostileLayerTest {
    private static final String PWNED = "strata-pwned";
    private static final Instant OLD = Instant.parse("2001-02-03T04:05:06.123456789Z");

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsRoot() {
        // Overlay whiteouts are device nodes and trusted.* xattrs; ownership cases chown.
        Capabilities.requireRoot();
    }

    // ---- the table ----------------------------------------------------------------------------------------------

    /** Where a case runs: {@code tmp/root} is the target, {@code tmp/outside} holds the sentinels. */
    record Layout(Path tmp, Path root, Path outside) {
        /** The absolute host path of {@code outside/rel}, as a hostile layer would name it. */
        String host(String rel) {
            return rel.isEmpty() ? outside.toString() : outside.resolve(rel).toString();
        }

        /** Where an absolute host path lands when the layer names it: under the root. */
        Path rooted(String absolute) {
            return root.resolve(absolute.substring(1));
        }
    }

    @FunctionalInterface
    interface Layers {
        /** The layer blobs, lower layers first; only the last one is expected to fail. */
        List<byte[]> build(Layout l) throws IOException;
    }

    @FunctionalInterface
    interface Check {
        void verify(Layout l, WhiteoutMode mode) throws IOException;
    }

    sealed interface Outcome permits Refused, Fails, Lands {
    }

    /** {@link UnsafeLayerException} whose message contains both fragments (the entry, quoted, and the reason). */
    record Refused(String entry, String why) implements Outcome {
    }

    /** Any I/O error or {@link StrataException} whose message contains every fragment. */
    record Fails(List<String> fragments) implements Outcome {
    }

    /** Success, and {@code check} says where the write landed inside the root. */
    record Lands(Check check) implements Outcome {
    }

    record Case(String name, Layers layers, Outcome delete, Outcome overlay, UnaryOperator<ApplyOptions> options) {
        Case with(UnaryOperator<ApplyOptions> o) {
            return new Case(name, layers, delete, overlay, o);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    enum Resolution { OPENAT2, WALK }

    static Case c(String name, Layers layers, Outcome both) {
        return new Case(name, layers, both, both, UnaryOperator.identity());
    }

    static Case c(String name, Layers layers, Outcome delete, Outcome overlay) {
        return new Case(name, layers, delete, overlay, UnaryOperator.identity());
    }

    static Layers tar(Function<Layout, TarBuilder> layer) {
        return l -> List.of(layer.apply(l).end().bytes());
    }

    static Layers tars(Function<Layout, TarBuilder> lower, Function<Layout, TarBuilder> upper) {
        return l -> List.of(lower.apply(l).end().bytes(), upper.apply(l).end().bytes());
    }

    static Layers blob(Supplier<byte[]> b) {
        return l -> List.of(b.get());
    }

    static TarBuilder t() {
        return new TarBuilder();
    }

    static Refused refused(String entry, String why) {
        return new Refused("'" + entry + "'", why);
    }

    static Fails fails(String... fragments) {
        return new Fails(List.of(fragments));
    }

    /** The names in {@code dir} as FileNames decodes them (java.nio would mangle those that are not UTF-8). */
    static java.util.List<String> names(Path dir) throws java.io.IOException {
        try (RootedTreeReader r = RootedTreeReader.open(dir)) {
            return r.list("");
        }
    }

    static Lands lands(Check check) {
        return new Lands(check);
    }

    static Stream<Case> cases() {
        List<Case> all = new ArrayList<>();
        all.addAll(dotDotNames());
        all.addAll(absoluteNames());
        all.addAll(symlinkWriteThrough());
        all.addAll(symlinkChainsLoopsAndClimbs());
        all.addAll(lowerLayerSymlinks());
        all.addAll(hardlinks());
        all.addAll(whiteouts());
        all.addAll(duplicates());
        all.addAll(rootReplacement());
        all.addAll(truncated());
        all.addAll(bombs());
        all.addAll(headers());
        all.addAll(afterEndMarker());
        all.addAll(overlayXattrs());
        all.addAll(setuid());
        return all.stream();
    }

    static Stream<Arguments> runs() {
        return cases().flatMap(c -> Stream.of(WhiteoutMode.values()).flatMap(m -> Stream.of(true, false)
                .flatMap(p -> Stream.of(Resolution.values()).map(r -> Arguments.of(c, m, p, r)))));
    }

    // ---- .. and absolute names ------------------------------------------------------------------------------------

    static List<Case> dotDotNames() {
        return List.of(
                c("dotdot: ../x", tar(l -> t().file("../" + PWNED, "x")), refused("../" + PWNED, "'..'")),
                c("dotdot: a/../../x", tar(l -> t().file("a/../../" + PWNED, "x")),
                        refused("a/../../" + PWNED, "'..'")),
                c("dotdot: ./../x", tar(l -> t().file("./../" + PWNED, "x")), refused("./../" + PWNED, "'..'")),
                c("dotdot: overwrite ../outside/secret", tar(l -> t().file("../outside/secret", "pwned")),
                        refused("../outside/secret", "'..'")),
                c("dotdot: harmless a/.. is still refused", tar(l -> t().dir("a/").dir("a/../")),
                        refused("a/../", "'..'")),
                c("dotdot: directory ../outside/newdir/", tar(l -> t().dir("../outside/newdir/")),
                        refused("../outside/newdir/", "'..'")),
                c("dotdot: symlink named ../x", tar(l -> t().symlink("../" + PWNED, "/")),
                        refused("../" + PWNED, "'..'")),
                c("dotdot: hardlink named ../x", tar(l -> t().file("f", "x").hardlink("../" + PWNED, "f")),
                        refused("../" + PWNED, "'..'")),
                c("dotdot: fifo named ../x", tar(l -> t().entry("../" + PWNED).type('6').add()),
                        refused("../" + PWNED, "'..'")),
                c("dotdot: pax path ../x behind a harmless header name",
                        tar(l -> t().entry("harmless").data("x").pax("path", "../" + PWNED).add()),
                        refused("../" + PWNED, "'..'")),
                c("dotdot: GNU long name ../x", tar(l -> t().gnuLongName("../" + PWNED).file("harmless", "x")),
                        refused("../" + PWNED, "'..'")),
                c("dotdot: ustar prefix ..", tar(l -> t().entry(PWNED).prefix("..").data("x").add()),
                        refused("../" + PWNED, "'..'")),
                c("dotdot: whiteout ../.wh.x", tar(l -> t().file("../.wh.secret", "")),
                        refused("../.wh.secret", "'..'")),
                c("dotdot: deep a/b/../../../x", tar(l -> t().dir("a/").dir("a/b/").file("a/b/../../../" + PWNED, "")),
                        refused("a/b/../../../" + PWNED, "'..'")));
    }

    static List<Case> absoluteNames() {
        return List.of(
                c("absolute: /x lands in root/x", tar(l -> t().file("/" + PWNED, "x")),
                        lands((l, m) -> assertThat(l.root().resolve(PWNED)).hasContent("x"))),
                c("absolute: /../x", tar(l -> t().file("/../" + PWNED, "x")), refused("/../" + PWNED, "'..'")),
                c("absolute: //double//slashes//x", tar(l -> t().file("//a//" + PWNED, "x")),
                        lands((l, m) -> assertThat(l.root().resolve("a/" + PWNED)).hasContent("x"))),
                c("absolute: host path of outside/secret lands under root",
                        tar(l -> t().file(l.host("secret"), "pwned")),
                        lands((l, m) -> assertThat(l.rooted(l.host("secret"))).hasContent("pwned"))),
                c("absolute: host path of outside as a symlink to /",
                        tar(l -> t().symlink(l.host(""), "/")),
                        lands((l, m) -> assertThat(Files.readSymbolicLink(l.rooted(l.host("")))).hasToString("/"))),
                c("absolute: hardlink to an absolute in-layer name",
                        tar(l -> t().file("/etc/f", "x").hardlink("/etc/g", "/etc/f")),
                        lands((l, m) -> assertSameInode(l.root().resolve("etc/f"), l.root().resolve("etc/g")))));
    }

    // ---- symlinks ---------------------------------------------------------------------------------------------

    static List<Case> symlinkWriteThrough() {
        return List.of(
                c("symlink: evil -> / then evil/x lands in root/x",
                        tar(l -> t().symlink("evil", "/").file("evil/" + PWNED, "x")),
                        lands((l, m) -> {
                            assertThat(l.root().resolve(PWNED)).hasContent("x");
                            assertThat(Files.readSymbolicLink(l.root().resolve("evil"))).hasToString("/");
                        })),
                c("symlink: evil -> ../outside (missing in root) then evil/secret",
                        tar(l -> t().symlink("evil", "../outside").file("evil/secret", "pwned")),
                        fails("'evil/secret'")),
                c("symlink: evil -> ../outside then evil/secret lands in root/outside",
                        tar(l -> t().dir("outside/").symlink("evil", "../outside").file("evil/secret", "pwned")),
                        lands((l, m) -> assertThat(l.root().resolve("outside/secret")).hasContent("pwned"))),
                c("symlink: evil -> host outside path then evil/secret",
                        tar(l -> t().symlink("evil", l.host("")).file("evil/secret", "pwned")),
                        fails("'evil/secret'")),
                c("symlink: evil -> host outside path (mirrored in root) lands in root",
                        tar(l -> t().dir(l.host("") + "/").symlink("evil", l.host("")).file("evil/secret", "pwned")),
                        lands((l, m) -> assertThat(l.rooted(l.host("secret"))).hasContent("pwned"))),
                c("symlink: evil -> host outside/dir then overwrite evil/inner",
                        tar(l -> t().symlink("evil", l.host("dir")).file("evil/inner", "pwned")),
                        fails("'evil/inner'")),
                c("symlink: evil -> host outside/secret then a file entry evil replaces the link",
                        tar(l -> t().symlink("evil", l.host("secret")).file("evil", "mine")),
                        lands((l, m) -> assertThat(l.root().resolve("evil")).isRegularFile().hasContent("mine"))),
                c("symlink: evil -> outside dir then directory entry evil/sub/",
                        tar(l -> t().symlink("evil", l.host("dir")).dir("evil/sub/")), fails("'evil/sub/'")),
                c("symlink: evil -> outside dir then symlink entry evil/x",
                        tar(l -> t().symlink("evil", l.host("dir")).symlink("evil/x", "/")), fails("'evil/x'")),
                c("symlink: evil -> outside dir then fifo evil/x",
                        tar(l -> t().symlink("evil", l.host("dir")).entry("evil/x").type('6').add()),
                        fails("'evil/x'")),
                c("symlink: evil -> outside dir then char device evil/x",
                        tar(l -> t().symlink("evil", l.host("dir")).entry("evil/x").type('3').device(1, 3).add()),
                        fails("'evil/x'")),
                c("symlink: evil -> outside dir then hardlink evil/x",
                        tar(l -> t().file("f", "x").symlink("evil", l.host("dir")).hardlink("evil/x", "f")),
                        fails("'evil/x'")),
                c("symlink: evil -> /proc/self/root then evil/x",
                        tar(l -> t().symlink("evil", "/proc/self/root" + l.host("")).file("evil/secret", "x")),
                        fails("'evil/secret'")),
                c("symlink: evil -> outside dir, then dir entry evil/ replaces the link, not the target",
                        tar(l -> t().symlink("evil", l.host("dir")).entry("evil/").type('5').mode(0777).add()),
                        lands((l, m) -> {
                            assertThat(l.root().resolve("evil")).isDirectory();
                            assertThat(Files.isSymbolicLink(l.root().resolve("evil"))).isFalse();
                            assertThat(mode(l.root().resolve("evil"))).isEqualTo(0777);
                        })),
                c("symlink: deferred dir metadata does not follow a later symlink to /",
                        tar(l -> t().entry("d/").type('5').mode(0777).mtime(1000).add().symlink("d", "/")),
                        lands((l, m) -> {
                            assertThat(Files.readSymbolicLink(l.root().resolve("d"))).hasToString("/");
                            assertThat(mode(l.root())).isNotEqualTo(0777);
                        })),
                c("symlink: deferred dir metadata is not applied to another dir reached through a later symlink",
                        tar(l -> t().dir("a/").entry("a/b/").type('5').mode(0777).mtime(1000).add()
                                .symlink("a", "/").entry("b/").type('5').mode(0700).mtime(5000).add()),
                        lands((l, m) -> {
                            assertThat(mode(l.root().resolve("b"))).isEqualTo(0700);
                            assertThat(Files.getLastModifiedTime(l.root().resolve("b")).toMillis())
                                    .isEqualTo(5_000_000);
                        })));
    }

    static List<Case> symlinkChainsLoopsAndClimbs() {
        return List.of(
                c("chain: a -> b -> c -> host outside, write a/secret",
                        tar(l -> t().symlink("a", "b").symlink("b", "c").symlink("c", l.host(""))
                                .file("a/secret", "pwned")),
                        fails("'a/secret'")),
                c("chain: a -> b -> c -> ../../.., write a/x lands in root",
                        tar(l -> t().symlink("a", "b").symlink("b", "c").symlink("c", "../../..")
                                .file("a/" + PWNED, "x")),
                        lands((l, m) -> assertThat(l.root().resolve(PWNED)).hasContent("x"))),
                c("chain: across directories d1/l -> ../d2/l -> /../../outside",
                        tar(l -> t().dir("d1/").dir("d2/").symlink("d1/l", "../d2/l").symlink("d2/l", "/../../outside")
                                .file("d1/l/secret", "pwned")),
                        fails("'d1/l/secret'")),
                c("chain: ends in a mirrored outside dir inside root",
                        tar(l -> t().dir("outside/").symlink("a", "b").symlink("b", "/../outside")
                                .file("a/secret", "pwned")),
                        lands((l, m) -> assertThat(l.root().resolve("outside/secret")).hasContent("pwned"))),
                c("loop: a -> b, b -> a, write a/x",
                        tar(l -> t().symlink("a", "b").symlink("b", "a").file("a/x", "")),
                        refused("a/x", "too many levels of symbolic links")),
                c("loop: a -> a, write a/x", tar(l -> t().symlink("a", "a").file("a/x", "")),
                        refused("a/x", "too many levels of symbolic links")),
                c("loop: a -> ./a/b, write a/x", tar(l -> t().symlink("a", "./a/b").file("a/x", "")),
                        refused("a/x", "too many levels of symbolic links")),
                c("loop: hardlink whose target goes through a loop",
                        tar(l -> t().symlink("a", "b").symlink("b", "a").hardlink("h", "a/x")),
                        refused("h", "too many levels of symbolic links")),
                c("loop: whiteout inside a loop",
                        tar(l -> t().symlink("a", "b").symlink("b", "a").file("a/.wh.x", "")),
                        refused("a/.wh.x", "too many levels of symbolic links")),
                c("loop: opaque whiteout inside a loop",
                        tar(l -> t().symlink("a", "b").symlink("b", "a").file("a/.wh..wh..opq", "")),
                        refused("a/.wh..wh..opq", "not a directory"),
                        refused("a/.wh..wh..opq", "too many levels of symbolic links")),
                c("climb: evil -> ../../../../.. then evil/x lands in root",
                        tar(l -> t().symlink("evil", "../../../../..").file("evil/" + PWNED, "x")),
                        lands((l, m) -> assertThat(l.root().resolve(PWNED)).hasContent("x"))),
                c("climb: deep a/b/c/evil -> ../../../../../../outside",
                        tar(l -> t().dir("a/b/c/").symlink("a/b/c/evil", "../../../../../../outside")
                                .file("a/b/c/evil/secret", "pwned")),
                        fails("'a/b/c/evil/secret'")),
                c("climb: deep climb into a mirrored outside lands in root/outside",
                        tar(l -> t().dir("outside/").dir("a/b/c/").symlink("a/b/c/evil", "../../../../../../outside")
                                .file("a/b/c/evil/secret", "pwned")),
                        lands((l, m) -> assertThat(l.root().resolve("outside/secret")).hasContent("pwned"))),
                c("climb: evil -> /../../../tmp-like host path with dirs mirrored",
                        tar(l -> t().dir(l.host("") + "/").symlink("evil", "/../../.." + l.host(""))
                                .file("evil/" + PWNED, "x")),
                        lands((l, m) -> assertThat(l.rooted(l.host(PWNED))).hasContent("x"))));
    }

    static List<Case> lowerLayerSymlinks() {
        return List.of(
                c("lower: evil -> host outside; upper writes evil/secret",
                        tars(l -> t().symlink("evil", l.host("")), l -> t().file("evil/secret", "pwned")),
                        fails("'evil/secret'")),
                c("lower: evil -> ../outside; upper writes evil/dir/inner",
                        tars(l -> t().symlink("evil", "../outside"), l -> t().file("evil/dir/inner", "pwned")),
                        fails("'evil/dir/inner'")),
                c("lower: evil -> /; upper writes evil/etc/x into root/etc",
                        tars(l -> t().symlink("evil", "/"), l -> t().file("evil/etc/" + PWNED, "x")),
                        lands((l, m) -> assertThat(l.root().resolve("etc/" + PWNED)).hasContent("x"))),
                c("lower: lib -> outside dir; upper hardlinks lib/inner",
                        tars(l -> t().symlink("lib", l.host("dir")), l -> t().hardlink("h", "lib/inner")),
                        refused("h", "does not exist")),
                c("lower: evil -> outside dir; upper directory evil/ replaces the link",
                        tars(l -> t().symlink("evil", l.host("dir")),
                                l -> t().entry("evil/").type('5').mode(0700).add().file("evil/inner", "mine")),
                        lands((l, m) -> {
                            assertThat(l.root().resolve("evil/inner")).hasContent("mine");
                            assertThat(Files.isSymbolicLink(l.root().resolve("evil"))).isFalse();
                        })),
                c("lower: d/ holds links to outside; upper file d removes them without following",
                        tars(l -> t().dir("d/").symlink("d/abs", l.host("")).symlink("d/rel", "../../outside")
                                        .symlink("d/file", l.host("secret")),
                                l -> t().file("d", "now a file")),
                        lands((l, m) -> assertThat(l.root().resolve("d")).isRegularFile())),
                c("lower: a/b -> outside dir; upper whiteout of a",
                        tars(l -> t().dir("a/").symlink("a/b", l.host("dir")), l -> t().file(".wh.a", "")),
                        lands((l, m) -> assertWhiteout(l, m, "a"))));
    }

    // ---- hard links -------------------------------------------------------------------------------------------

    static List<Case> hardlinks() {
        return List.of(
                c("hardlink: to ../outside/secret", tar(l -> t().hardlink("h", "../outside/secret")),
                        refused("h", "'..'")),
                c("hardlink: to a/../../outside/secret", tar(l -> t().dir("a/").hardlink("h", "a/../../outside/secret")),
                        refused("h", "'..'")),
                c("hardlink: to the absolute host path of secret", tar(l -> t().hardlink("h", l.host("secret"))),
                        refused("h", "does not exist")),
                c("hardlink: through a symlinked dir evil -> outside",
                        tar(l -> t().symlink("evil", l.host("")).hardlink("h", "evil/secret")),
                        refused("h", "does not exist")),
                c("hardlink: through a relative symlinked dir evil -> ../outside",
                        tar(l -> t().symlink("evil", "../outside").hardlink("h", "evil/secret")),
                        refused("h", "does not exist")),
                c("hardlink: through evil -> / to the host path",
                        tar(l -> t().symlink("evil", "/").hardlink("h", "evil" + l.host("secret"))),
                        refused("h", "does not exist")),
                c("hardlink: to a symlink pointing outside links the symlink itself",
                        tar(l -> t().symlink("s", l.host("secret")).hardlink("h", "s")),
                        lands((l, m) -> {
                            assertThat(Files.readSymbolicLink(l.root().resolve("h"))).hasToString(l.host("secret"));
                            assertSameInode(l.root().resolve("s"), l.root().resolve("h"));
                        })),
                c("hardlink: to an outside symlink, then a file entry at the link path",
                        tar(l -> t().symlink("s", l.host("secret")).hardlink("h", "s").file("h", "mine")),
                        lands((l, m) -> {
                            assertThat(l.root().resolve("h")).isRegularFile().hasContent("mine");
                            assertThat(Files.readSymbolicLink(l.root().resolve("s"))).hasToString(l.host("secret"));
                        })),
                c("hardlink: to an outside symlink, then a file entry at the symlink path",
                        tar(l -> t().symlink("s", l.host("secret")).hardlink("h", "s").file("s", "mine")),
                        lands((l, m) -> {
                            assertThat(l.root().resolve("s")).isRegularFile().hasContent("mine");
                            assertThat(Files.isSymbolicLink(l.root().resolve("h"))).isTrue();
                        })),
                c("hardlink: to an outside dir symlink, then a file below the link",
                        tar(l -> t().symlink("s", l.host("dir")).hardlink("h", "s").file("h/inner", "pwned")),
                        fails("'h/inner'")),
                c("hardlink: to a missing target", tar(l -> t().hardlink("h", "nowhere")),
                        refused("h", "does not exist")),
                c("hardlink: to itself, missing", tar(l -> t().hardlink("h", "h")), refused("h", "does not exist")),
                c("hardlink: to a directory", tar(l -> t().dir("d/").hardlink("h", "d")),
                        refused("h", "hard link to directory")),
                c("hardlink: to a symlink to a directory links the symlink",
                        tar(l -> t().dir("d/").symlink("s", "d").hardlink("h", "s")),
                        lands((l, m) -> assertThat(Files.readSymbolicLink(l.root().resolve("h"))).hasToString("d"))),
                c("hardlink: to the root", tar(l -> t().hardlink("h", "./")), refused("h", "root")),
                c("hardlink: named like the root", tar(l -> t().file("f", "x").hardlink(".", "f")),
                        refused(".", "root")),
                c("hardlink: a later file at a linked lower path replaces it, never writes through the link",
                        tars(l -> t().file("f", "original").hardlink("h", "f"), l -> t().file("h", "changed")),
                        lands((l, m) -> {
                            assertThat(l.root().resolve("f")).hasContent("original");
                            assertThat(l.root().resolve("h")).hasContent("changed");
                        })));
    }

    // ---- whiteouts --------------------------------------------------------------------------------------------

    static List<Case> whiteouts() {
        Check noOp = (l, m) -> assertThat(Files.isSymbolicLink(l.root().resolve("evil"))).isTrue();
        return List.of(
                c("whiteout: .wh... (of ..)", tar(l -> t().file(".wh...", "")), refused(".wh...", "invalid whiteout")),
                c("whiteout: d/.wh.. (of .)", tar(l -> t().file("d/.wh..", "")), refused("d/.wh..", "invalid whiteout")),
                c("whiteout: bare .wh.", tar(l -> t().file(".wh.", "")), refused(".wh.", "invalid whiteout")),
                c("whiteout: ../.wh.x", tar(l -> t().file("../.wh.outside", "")), refused("../.wh.outside", "'..'")),
                c("whiteout: evil/.wh.secret with evil -> host outside",
                        tar(l -> t().symlink("evil", l.host("")).file("evil/.wh.secret", "")),
                        lands(noOp), fails("'evil/.wh.secret'")),
                c("whiteout: evil/.wh.secret with evil -> ../outside",
                        tar(l -> t().symlink("evil", "../outside").file("evil/.wh.secret", "")),
                        lands(noOp), fails("'evil/.wh.secret'")),
                c("whiteout: evil/.wh.dir with evil -> host outside (recursive delete)",
                        tar(l -> t().symlink("evil", l.host("")).file("evil/.wh.dir", "")),
                        lands(noOp), fails("'evil/.wh.dir'")),
                c("whiteout: evil/.wh.inner with evil -> outside/dir in a lower layer",
                        tars(l -> t().symlink("evil", l.host("dir")), l -> t().file("evil/.wh.inner", "")),
                        lands(noOp), fails("'evil/.wh.inner'")),
                c("whiteout: opaque evil/.wh..wh..opq with evil -> host outside",
                        tar(l -> t().symlink("evil", l.host("")).file("evil/.wh..wh..opq", "")),
                        refused("evil/.wh..wh..opq", "not a directory"), fails("'evil/.wh..wh..opq'")),
                c("whiteout: opaque evil/.wh..wh..opq with evil -> outside in a lower layer",
                        tars(l -> t().symlink("evil", "../outside"), l -> t().file("evil/.wh..wh..opq", "")),
                        refused("evil/.wh..wh..opq", "not a directory"), fails("'evil/.wh..wh..opq'")),
                c("whiteout: evil/.wh.x with evil -> / removes root/x only",
                        tars(l -> t().file("x", "lower").symlink("evil", "/"), l -> t().file("evil/.wh.x", "")),
                        lands((l, m) -> assertWhiteout(l, m, "x"))),
                c("whiteout: of a lower symlink to outside removes the link, not the target",
                        tars(l -> t().symlink("evil", l.host("")), l -> t().file(".wh.evil", "")),
                        lands((l, m) -> assertWhiteout(l, m, "evil"))),
                c("whiteout: of a lower symlink to an outside file",
                        tars(l -> t().symlink("evil", l.host("secret")), l -> t().file(".wh.evil", "")),
                        lands((l, m) -> assertWhiteout(l, m, "evil"))),
                c("whiteout: opaque dir whose lower children are links to outside",
                        tars(l -> t().dir("d/").symlink("d/abs", l.host("")).symlink("d/rel", "../../outside/secret"),
                                l -> t().dir("d/").file("d/.wh..wh..opq", "")),
                        lands((l, m) -> {
                            if (m == WhiteoutMode.DELETE) {
                                assertThat(TreeSnapshot.listing(l.root())).containsExactly("d/");
                            } else {
                                assertThat(xattr(l, "d", "trusted.overlay.opaque")).isEqualTo("y");
                            }
                        })),
                c("whiteout: at a host absolute path lands under root",
                        tar(l -> t().file(l.host(".wh.secret"), "")),
                        lands((l, m) -> {
                            if (m == WhiteoutMode.OVERLAY) {
                                assertWhiteout(l, m, l.host("secret").substring(1));
                            }
                        })));
    }

    // ---- duplicates and type changes ------------------------------------------------------------------------------

    static List<Case> duplicates() {
        return List.of(
                c("duplicate: file, dir, symlink, file at one path",
                        tar(l -> t().file("p", "1").dir("p/").file("p/child", "c").symlink("p", l.host(""))
                                .file("p", "last")),
                        lands((l, m) -> {
                            assertThat(l.root().resolve("p")).isRegularFile().hasContent("last");
                            assertThat(TreeSnapshot.listing(l.root())).containsExactly("p");
                        })),
                c("duplicate: dir with children replaced by symlink to outside, then a child through it",
                        tar(l -> t().dir("d/").file("d/c", "x").symlink("d", l.host("")).file("d/secret", "pwned")),
                        fails("'d/secret'")),
                c("duplicate: dir with children replaced by symlink to /, then a child through it",
                        tar(l -> t().dir("d/").file("d/c", "x").symlink("d", "/").file("d/" + PWNED, "x")),
                        lands((l, m) -> {
                            assertThat(l.root().resolve(PWNED)).hasContent("x");
                            assertThat(Files.readSymbolicLink(l.root().resolve("d"))).hasToString("/");
                        })),
                c("duplicate: symlink to outside replaced by dir, then a child",
                        tar(l -> t().symlink("d", l.host("")).dir("d/").file("d/secret", "mine")),
                        lands((l, m) -> assertThat(l.root().resolve("d/secret")).hasContent("mine"))),
                c("duplicate: fifo replaced by file",
                        tar(l -> t().entry("p").type('6').add().file("p", "file")),
                        lands((l, m) -> assertThat(l.root().resolve("p")).isRegularFile().hasContent("file"))),
                c("duplicate: directory entry twice, the later mode and mtime win",
                        tar(l -> t().entry("d/").type('5').mode(0700).mtime(1000).add().file("d/f", "x")
                                .entry("d/").type('5').mode(0751).mtime(2000).add()),
                        lands((l, m) -> {
                            assertThat(mode(l.root().resolve("d"))).isEqualTo(0751);
                            assertThat(Files.getLastModifiedTime(l.root().resolve("d")).toMillis())
                                    .isEqualTo(2_000_000);
                        })),
                c("duplicate: dir, file, dir again: the last dir's mode wins",
                        tar(l -> t().entry("d/").type('5').mode(0700).add().file("d", "f")
                                .entry("d/").type('5').mode(0755).add()),
                        lands((l, m) -> assertThat(mode(l.root().resolve("d"))).isEqualTo(0755))));
    }

    static List<Case> rootReplacement() {
        return List.of(
                c("root: . as a symlink to outside", tar(l -> t().symlink(".", l.host(""))), refused(".", "root")),
                c("root: ./ as a symlink to /", tar(l -> t().symlink("./", "/")), refused("./", "root")),
                c("root: / as a file", tar(l -> t().file("/", "x")), refused("/", "root")),
                c("root: ./. as a fifo", tar(l -> t().entry("./.").type('6').add()), refused("./.", "root")),
                c("root: . as a char device", tar(l -> t().entry(".").type('3').device(1, 3).add()),
                        refused(".", "root")),
                c("root: dir entry . only changes metadata",
                        tar(l -> t().entry("./").type('5').mode(0750).add().file("f", "x")),
                        lands((l, m) -> assertThat(mode(l.root())).isEqualTo(0750))));
    }

    // ---- malformed archives -----------------------------------------------------------------------------------

    private static final Map<String, byte[]> BLOBS = new ConcurrentHashMap<>();

    private static byte[] compress(Compression c, byte[] tar) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream z = c.compress(out, 0)) {
                z.write(tar);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A small file then a 64 KiB file, so cuts can land in either header or in data. */
    private static byte[] twoFiles() {
        return t().file("first", "1").entry("big").data(new byte[65536]).add().end().bytes();
    }

    static List<Case> truncated() {
        List<Case> out = new ArrayList<>();
        for (Compression c : Compression.values()) {
            String n = c.name().toLowerCase();
            out.add(c("truncated " + n + ": mid-header of the second entry",
                    blob(() -> compress(c, Arrays.copyOf(twoFiles(), 1024 + 300))), fails("truncated")));
            out.add(c("truncated " + n + ": mid-data of the second entry",
                    blob(() -> compress(c, Arrays.copyOf(twoFiles(), 1024 + 512 + 10000))),
                    fails("truncated", "'big'")));
            out.add(c("truncated " + n + ": before the end marker",
                    blob(() -> compress(c, Arrays.copyOf(twoFiles(), twoFiles().length - 1024 - 100))),
                    fails("truncated")));
            if (c != Compression.NONE) {
                out.add(c("truncated " + n + ": compressed stream cut in half",
                        blob(() -> {
                            byte[] z = compress(c, t().file("a", "x".repeat(100_000)).end().bytes());
                            return Arrays.copyOf(z, z.length / 2);
                        }), fails()));
            }
        }
        return out;
    }

    /** The tar part before 64 MiB of zeros: the header of one huge entry, or a whole archive (zeros as junk). */
    private static byte[] bombTar(boolean afterEnd) {
        return afterEnd ? t().file("a", "x").end().bytes()
                : t().entry("zeros").declaredSize(64L << 20).add().bytes();
    }

    private static byte[] bomb(Compression c, boolean afterEnd) {
        return BLOBS.computeIfAbsent("bomb-" + c + afterEnd, k -> {
            try {
                ByteArrayOutputStream blob = new ByteArrayOutputStream();
                try (OutputStream out = c.compress(blob, 9)) {
                    out.write(bombTar(afterEnd));
                    byte[] zeros = new byte[1 << 20];
                    for (int i = 0; i < 64; i++) {
                        out.write(zeros);
                    }
                }
                return blob.toByteArray();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static byte[] zstdHugeWindow() {
        return BLOBS.computeIfAbsent("zstd-window", k -> {
            try {
                ByteArrayOutputStream blob = new ByteArrayOutputStream();
                // Streaming (no content size), so the frame header declares the full 1 GiB window.
                var z = new com.github.luben.zstd.ZstdOutputStreamNoFinalizer(blob, 3);
                z.setWindowLog(30);
                z.write(t().file("a", "x").end().bytes());
                z.close();
                return blob.toByteArray();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static List<Case> bombs() {
        UnaryOperator<ApplyOptions> cap = o -> o.withMaxUncompressed(1 << 20);
        List<Case> out = new ArrayList<>();
        for (Compression c : List.of(Compression.GZIP, Compression.ZSTD)) {
            String n = c.name().toLowerCase();
            out.add(c("bomb " + n + ": one 64 MiB entry of zeros, cap 1 MiB", blob(() -> bomb(c, false)),
                    new Refused("", "decompression bomb")).with(cap));
            out.add(c("bomb " + n + ": 64 MiB of zeros after the end marker, cap 1 MiB", blob(() -> bomb(c, true)),
                    new Refused("", "decompression bomb")).with(cap));
        }
        out.add(c("bomb plain: more data than the cap", blob(() -> Arrays.copyOf(bombTar(false), 2 << 20)),
                new Refused("", "decompression bomb")).with(cap));
        out.add(c("bomb zstd: frame demands a 1 GiB window", blob(HostileLayerTest::zstdHugeWindow), fails()));
        out.add(c("bomb sparse: 1 TiB hole", tar(l -> t().entry("s").data("x")
                .pax("GNU.sparse.size", Long.toString(1L << 40)).pax("GNU.sparse.map", "0,1").add()),
                refused("s", "sparse file expands")).with(cap));
        return out;
    }

    static List<Case> headers() {
        byte[] b256 = new byte[8];
        b256[0] = (byte) 0x80;
        b256[3] = 1; // 2^32
        byte[] negFF = new byte[8];
        Arrays.fill(negFF, (byte) 0xff); // -1
        byte[] negC0 = new byte[8];
        negC0[0] = (byte) 0xc0; // sign bit (0x40) set: -2^62 + 1 in two's complement
        negC0[7] = 1;
        byte[] negSize = new byte[12];
        Arrays.fill(negSize, (byte) 0xff);
        byte[] hugeSize = new byte[12];
        Arrays.fill(hugeSize, (byte) 0x7f);
        hugeSize[0] = (byte) 0x80;
        return List.of(
                c("header: pax header of 2 MiB", tar(l -> t().entry("f").pax("comment", "x".repeat(2 << 20)).add()),
                        new Refused("", "exceeds the limit")),
                c("header: pax header declaring 7 GiB", blob(() -> t().entry("PaxHeaders/f").type('x')
                        .declaredSize(7L << 30).add().bytes()), new Refused("", "exceeds the limit")),
                c("header: GNU long name of 2 MiB", blob(() -> t().gnuLongName("a/".repeat(1 << 20)).file("f", "x")
                        .end().bytes()), new Refused("", "exceeds the limit")),
                c("header: name longer than PATH_MAX", tar(l -> t().entry("f").pax("path", "a".repeat(5000))
                        .data("x").add()), new Refused("", "name longer than")),
                c("header: uid 2^32 in pax", tar(l -> t().entry("f").pax("uid", "4294967296").add()),
                        refused("f", "out of range")),
                c("header: uid 2^32 in base-256", tar(l -> t().entry("f").rawUid(b256).add()),
                        refused("f", "out of range")),
                c("header: uid -1 in base-256", tar(l -> t().entry("f").rawUid(negFF).add()),
                        new Refused("", "negative uid")),
                c("header: uid negative in base-256 with a 0xc0 lead byte", tar(l -> t().entry("f").rawUid(negC0).add()),
                        new Refused("", "negative uid")),
                c("header: gid negative in base-256", tar(l -> t().entry("f").rawField(116, negFF).add()),
                        new Refused("", "negative gid")),
                c("header: size negative in base-256", blob(() -> t().entry("f").rawField(124, negSize).add().end()
                        .bytes()), new Refused("", "negative")),
                c("header: size overflowing 63 bits", blob(() -> t().entry("f").rawField(124, hugeSize).add().end()
                        .bytes()), new Refused("", "overflows")),
                // Names are bytes: one that is not UTF-8 is applied as the tar holds it (FileNames), not refused.
                c("header: non-UTF-8 name", tar(l -> t().entry(new byte[] {'a', (byte) 0xff, 'b'}).data("x").add()),
                        lands((l, m) -> assertThat(names(l.root())).contains("a\udcffb"))),
                c("header: non-UTF-8 pax path",
                        tar(l -> t().entry("f").pax("path", new byte[] {'a', (byte) 0xc3}).data("x").add()),
                        lands((l, m) -> assertThat(names(l.root())).contains("a\udcc3").doesNotContain("f"))),
                c("header: non-UTF-8 link target",
                        tar(l -> t().entry("s").type('2').rawField(157, new byte[] {'a', (byte) 0xfe}).add()),
                        lands((l, m) -> {
                            try (RootedTreeReader r = RootedTreeReader.open(l.root())) {
                                assertThat(r.readlink("s")).isEqualTo("a\udcfe");
                            }
                        })),
                c("header: non-UTF-8 name with '..' components is still refused", tar(l -> t().entry(new byte[] {
                        '.', '.', '/', '.', '.', '/', (byte) 0xff}).data("x").add()),
                        new Refused("../../\\xff", "path contains '..'")),
                c("header: NUL byte in pax path", tar(l -> t().entry("f").pax("path", "x\0y").data("x").add()),
                        new Refused("", "NUL")),
                c("header: bad checksum", tar(l -> t().entry("f").data("x").badChecksum().add()),
                        new Refused("", "checksum")),
                c("header: unknown type flag", tar(l -> t().entry("f").type('Z').add()), refused("f", "type 'Z'")),
                c("header: device major 2^32 in pax",
                        tar(l -> t().entry("d").type('3').pax("SCHILY.devmajor", "4294967296").add()),
                        refused("d", "device number out of range")),
                c("header: pax header with no entry after it", blob(() -> {
                    byte[] withPax = t().entry("f").pax("path", "g").add().bytes();
                    return Arrays.copyOf(withPax, 1024); // the pax block pair, then EOF
                }), new Refused("", "extended header with no entry")),
                c("header: malformed pax record length", tar(l -> t().entry("PaxHeaders/f").type('x')
                        .data("99 path=x\n").add().file("f", "x")), new Refused("", "malformed pax record")));
    }

    static List<Case> afterEndMarker() {
        Check onlyA = (l, m) -> assertThat(TreeSnapshot.listing(l.root())).containsExactly("a");
        byte[] hidden = t().file("a", "x").end().file(PWNED, "x").symlink("evil", "/").end().bytes();
        List<Case> out = new ArrayList<>();
        for (Compression c : Compression.values()) {
            out.add(c("after end: entries after the marker are not extracted (" + c.name().toLowerCase() + ")",
                    blob(() -> compress(c, hidden)), lands(onlyA)));
        }
        out.add(c("after end: a second gzip member after the marker is not extracted",
                blob(() -> {
                    byte[] first = compress(Compression.GZIP, t().file("a", "x").end().bytes());
                    byte[] second = compress(Compression.GZIP, t().file(PWNED, "x").end().bytes());
                    byte[] both = Arrays.copyOf(first, first.length + second.length);
                    System.arraycopy(second, 0, both, first.length, second.length);
                    return both;
                }), lands(onlyA)));
        out.add(c("after end: one zero block then an entry",
                blob(() -> t().file("a", "x").raw(new byte[512]).file(PWNED, "x").end().bytes()),
                new Refused("", "zero block inside the archive")));
        return out;
    }

    static List<Case> overlayXattrs() {
        Check none = (l, m) -> {
            for (String p : List.of("d", "f", "dev")) {
                if (Files.exists(l.root().resolve(p), LinkOption.NOFOLLOW_LINKS)) {
                    try (RootedFs fs = RootedFs.open(l.root())) {
                        assertThat(fs.listXattrs(p)).noneMatch(x -> x.contains("overlay"));
                    }
                }
            }
        };
        return List.of(
                c("xattr: trusted.overlay.opaque on a directory",
                        tar(l -> t().entry("d/").type('5').pax("SCHILY.xattr.trusted.overlay.opaque", "y").add()),
                        lands(none)),
                c("xattr: trusted.overlay.redirect on a directory",
                        tar(l -> t().entry("d/").type('5').pax("SCHILY.xattr.trusted.overlay.redirect", "/etc")
                                .add()), lands(none)),
                c("xattr: user.overlay.opaque and user.overlay.redirect",
                        tar(l -> t().entry("d/").type('5').pax("SCHILY.xattr.user.overlay.opaque", "y")
                                .pax("SCHILY.xattr.user.overlay.redirect", "/x").add()), lands(none)),
                c("xattr: LIBARCHIVE-encoded trusted.overlay.opaque",
                        tar(l -> t().entry("d/").type('5').pax("LIBARCHIVE.xattr.trusted%2Eoverlay%2Eopaque", "eQ==")
                                .add()), lands(none)),
                c("xattr: escaped trusted.overlay.overlay.opaque",
                        tar(l -> t().entry("d/").type('5').pax("SCHILY.xattr.trusted.overlay.overlay.opaque", "y")
                                .add()), lands(none)),
                c("xattr: metacopy and origin on a file",
                        tar(l -> t().entry("f").data("x").pax("SCHILY.xattr.trusted.overlay.metacopy", "")
                                .pax("SCHILY.xattr.trusted.overlay.origin", "abc").add()), lands(none)),
                c("xattr: char device carrying overlay xattrs",
                        tar(l -> t().entry("dev").type('3').device(1, 3)
                                .pax("SCHILY.xattr.trusted.overlay.opaque", "y")
                                .pax("SCHILY.xattr.trusted.overlay.redirect", "/").add()),
                        lands((l, m) -> {
                            none.verify(l, m);
                            assertThat(Files.getAttribute(l.root().resolve("dev"), "unix:rdev")).isEqualTo(0x103L);
                        })));
    }

    static List<Case> setuid() {
        return List.of(
                c("setuid: root-owned 04755 keeps its bits",
                        tar(l -> t().entry("su").data("x").mode(04755).owner(0, 0).add()),
                        lands((l, m) -> assertModeOwner(l.root().resolve("su"), 04755, 0, 0))),
                c("setuid: setuid+setgid owned by 1000:1000 (chown must not clear the bits)",
                        tar(l -> t().entry("su").data("x").mode(06755).owner(1000, 1000).add()),
                        lands((l, m) -> assertModeOwner(l.root().resolve("su"), 06755, 1000, 1000))),
                c("setuid: mode 07777 exactly",
                        tar(l -> t().entry("all").data("x").mode(07777).owner(5, 6).add()),
                        lands((l, m) -> assertModeOwner(l.root().resolve("all"), 07777, 5, 6))),
                c("setuid: setgid dir 02775 and sticky dir 01777",
                        tar(l -> t().entry("g/").type('5').mode(02775).owner(0, 50).add()
                                .entry("g/f").data("x").add().entry("tmp/").type('5').mode(01777).add()),
                        lands((l, m) -> {
                            assertModeOwner(l.root().resolve("g"), 02775, 0, 50);
                            assertThat(mode(l.root().resolve("tmp"))).isEqualTo(01777);
                        })),
                c("setuid: hardlink to a setuid file shares its mode",
                        tar(l -> t().entry("su").data("x").mode(04711).owner(0, 0).add().hardlink("su2", "su")),
                        lands((l, m) -> assertModeOwner(l.root().resolve("su2"), 04711, 0, 0))));
    }

    // ---- the run ------------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} [{1}, pipelined={2}, {3}]")
    @MethodSource("runs")
    void breakout(Case c, WhiteoutMode mode, boolean pipelined, Resolution resolution) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Path outside = tmp.resolve("outside");
        plantSentinels(outside);
        Layout layout = new Layout(tmp, root, outside);
        Map<String, String> before = sentinelState(outside);

        ApplyOptions options = c.options().apply(ApplyOptions.defaults().withWhiteouts(mode).withPipelined(pipelined));
        List<byte[]> blobs = c.layers().build(layout);
        for (int i = 0; i < blobs.size() - 1; i++) {
            apply(root, blobs.get(i), options, resolution);
        }
        Throwable thrown = null;
        try {
            apply(root, blobs.get(blobs.size() - 1), options, resolution);
        } catch (IOException | RuntimeException e) {
            thrown = e;
        }

        Outcome expected = mode == WhiteoutMode.DELETE ? c.delete() : c.overlay();
        if (expected instanceof Refused r) {
            assertThat(thrown).as("expected a refusal").isInstanceOf(UnsafeLayerException.class)
                    .hasMessageContaining(r.entry()).hasMessageContaining(r.why());
        } else if (expected instanceof Fails f) {
            assertThat(thrown).as("expected a failure").isNotNull()
                    .isInstanceOfAny(IOException.class, StrataException.class);
            for (String fragment : f.fragments()) {
                assertThat(thrown).hasMessageContaining(fragment);
            }
        } else if (expected instanceof Lands l) {
            if (thrown != null) {
                fail("expected success but got " + thrown, thrown);
            }
            l.check().verify(layout, mode);
        }

        assertThat(sentinelState(outside)).as("outside tree after " + c).isEqualTo(before);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted())
                    .as("nothing new beside root/ and outside/").containsExactly("outside", "root");
        }
        assertThat(Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)).as("root stays a directory").isTrue();
        assertThat(Path.of("/" + PWNED)).doesNotExist();
        assertThat(tmp.getParent().resolve(PWNED)).doesNotExist();
    }

    private static void apply(Path root, byte[] blob, ApplyOptions options, Resolution r) throws IOException {
        try (RootedFs fs = r == Resolution.WALK ? RootedFsTesting.openWithWalk(root) : RootedFs.open(root)) {
            assertThat(RootedFsTesting.usesOpenat2(fs)).isEqualTo(r == Resolution.OPENAT2);
            new LayerApplier(options).apply(new ByteArrayInputStream(blob), fs);
        }
    }

    private static void plantSentinels(Path outside) throws IOException {
        Files.createDirectories(outside.resolve("dir"));
        Files.writeString(outside.resolve("secret"), "top secret");
        Files.writeString(outside.resolve("dir/inner"), "inner");
        Files.createSymbolicLink(outside.resolve("link"), Path.of("secret"));
        Files.createSymbolicLink(outside.resolve("dir-link"), Path.of("dir"));
        for (String p : List.of("secret", "dir/inner", "dir", "")) {
            Files.setLastModifiedTime(outside.resolve(p), FileTime.from(OLD));
        }
    }

    /** describe() of the tree plus ctime (any chmod, chown, xattr or link count change) and the dir itself. */
    private static Map<String, String> sentinelState(Path outside) throws IOException {
        Map<String, String> state = new TreeMap<>(TreeSnapshot.describe(outside, TreeSnapshot.Options.FULL));
        for (String p : TreeSnapshot.listing(outside)) {
            String rel = p.contains(" -> ") ? p.substring(0, p.indexOf(" -> ")) : p;
            state.merge(rel.replaceAll("/$", ""), " ctime=" + ctime(outside.resolve(rel)), String::concat);
        }
        state.put(".", "mtime=" + Files.getLastModifiedTime(outside) + " ctime=" + ctime(outside)
                + " mode=" + mode(outside));
        return state;
    }

    private static Object ctime(Path p) throws IOException {
        return Files.getAttribute(p, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
    }

    // ---- checks -----------------------------------------------------------------------------------------------

    private static int mode(Path p) throws IOException {
        return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
    }

    private static void assertModeOwner(Path p, int mode, int uid, int gid) throws IOException {
        assertThat(Integer.toOctalString(mode(p))).isEqualTo(Integer.toOctalString(mode));
        assertThat(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(uid);
        assertThat(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(gid);
    }

    private static void assertSameInode(Path a, Path b) throws IOException {
        assertThat(Files.getAttribute(b, "unix:ino", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(Files.getAttribute(a, "unix:ino", LinkOption.NOFOLLOW_LINKS));
    }

    /** Gone in delete form; a 0/0 character device in overlay form. */
    private static void assertWhiteout(Layout l, WhiteoutMode m, String rel) throws IOException {
        Path p = l.root().resolve(rel);
        if (m == WhiteoutMode.DELETE) {
            assertThat(Files.exists(p, LinkOption.NOFOLLOW_LINKS)).as(rel + " removed").isFalse();
        } else {
            assertThat(Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0020000);
            assertThat(Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0L);
        }
    }

    private static String xattr(Layout l, String path, String key) throws IOException {
        try (RootedFs fs = RootedFs.open(l.root())) {
            return fs.getXattr(path, key).map(v -> new String(v, StandardCharsets.UTF_8)).orElse(null);
        }
    }
}
