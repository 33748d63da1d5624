package dev.strata.image.layer;

import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12 point 5 and same-layer whiteouts in delete form, without root (the overlay form and the real mounts are
 * in graphdriver-overlay's WhiteoutFormsAgreeTest): a whiteout is an empty regular file; any other entry named
 * {@code .wh.*} is created literally and deletes nothing; whiteouts never hide the layer's own entries.
 */
class WhiteoutNamesTest {
    @TempDir
    Path tmp;

    private static TarBuilder t() {
        return new TarBuilder();
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("whiteoutNamedDirectoryDeletesNothing",
                        t().file("etc/motd", "m"), t().dir(".wh.etc/"), List.of(".wh.etc/", "etc/", "etc/motd")),
                Arguments.of("fileBeneathWhiteoutNamedDirectoryIsKeptLiterally",
                        t().file("etc/motd", "m"), t().dir(".wh.etc/").file(".wh.etc/somefile", "s"),
                        List.of(".wh.etc/", ".wh.etc/somefile", "etc/", "etc/motd")),
                Arguments.of("fileBeneathImpliedWhiteoutNamedDirectoryIsKeptLiterally",
                        t().file("etc/motd", "m"), t().file(".wh.etc/somefile", "s"),
                        List.of(".wh.etc/", ".wh.etc/somefile", "etc/", "etc/motd")),
                Arguments.of("whiteoutNamedSymlinkDeletesNothing",
                        t().file("x", "1"), t().symlink(".wh.x", "x"), List.of(".wh.x -> x", "x")),
                Arguments.of("whiteoutNamedFifoDeletesNothing",
                        t().file("x", "1"), t().entry(".wh.x").type('6').mode(0644).add(), List.of(".wh.x", "x")),
                Arguments.of("opaqueMarkerNamedDirectoryHidesNothing",
                        t().file("d/a", "1"), t().dir("d/").dir("d/.wh..wh..opq/"), List.of("d/", "d/a")),
                Arguments.of("emptyRegularWhiteoutDeletes",
                        t().file("x", "1").file("y", "2"), t().file(".wh.x", ""), List.of("y")),
                Arguments.of("hardLinkedWhiteoutsStillDelete",
                        t().file("a", "1").file("b", "2").file("c", "3"),
                        t().file(".wh.a", "").hardlink(".wh.b", ".wh.a"), List.of("c")),
                Arguments.of("sameLayerWhiteoutAfterOwnDirectoryHidesLowerChildrenOnly",
                        t().file("x/old", "o"), t().dir("x/").file("x/new", "n").file(".wh.x", ""),
                        List.of("x/", "x/new")),
                Arguments.of("sameLayerWhiteoutAfterImpliedDirectoryKeepsOwnEntries",
                        t().file("x/old", "o"), t().file("x/new", "n").file(".wh.x", ""), List.of("x/", "x/new")),
                Arguments.of("opaqueMarkerAfterOwnEntriesHidesLowerDescendants",
                        t().file("a/b/c/bar", "b"), t().dir("a/").dir("a/b/").file("a/b/c/foo", "f")
                                .file("a/.wh..wh..opq", ""),
                        List.of("a/", "a/b/", "a/b/c/", "a/b/c/foo")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void deleteForm(String name, TarBuilder lower, TarBuilder layer, List<String> expected) throws IOException {
        Path root = Files.createDirectory(tmp.resolve("root"));
        new LayerApplier().apply(new ByteArrayInputStream(lower.end().bytes()), root);
        new LayerApplier().apply(new ByteArrayInputStream(layer.end().bytes()), root);
        assertThat(TreeSnapshot.listing(root)).containsExactlyElementsOf(expected);
    }
}
