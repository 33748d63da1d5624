package dev.strata.driver.overlay;

import dev.strata.image.testing.TarBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Whiteouts against entries of their own layer, hard links to whited-out names and entries merely named
 * {@code .wh.*}: each case applied with vfs, with overlay (the real mount) and in delete form onto a plain directory.
 * The three trees must be equal, equal to the expected listing, or all three must refuse the same layer.
 */
class WhiteoutFormsAgreeTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void requireOverlay() {
        ThreeWayApply.requireOverlay(tmp);
    }

    private static TarBuilder t() {
        return new TarBuilder();
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // issue 17 point 5: the overlay view was empty where vfs and unpack showed etc/motd and opt/tool
                Arguments.of("sameLayerWhiteoutDoesNotHideOwnEntry (the reported empty view)", List.of(
                        t().dir("etc/").file("etc/old", "o").dir("opt/").file("opt/old", "o").end(),
                        t().dir("etc/").file("etc/motd", "hi").dir("opt/").file("opt/tool", "t")
                                .file(".wh.etc", "").file(".wh.opt", "").end()),
                        List.of("etc", "etc/motd", "opt", "opt/tool"), null),
                Arguments.of("sameLayerWhiteoutBeforeOwnDirectoryHidesLowerChildren", List.of(
                        t().dir("x/").file("x/old", "o").end(),
                        t().file(".wh.x", "").dir("x/").file("x/new", "n").end()),
                        List.of("x", "x/new"), null),
                Arguments.of("sameLayerWhiteoutAfterOwnFileKeepsIt", List.of(
                        t().file("x", "lower").end(),
                        t().file("x", "upper").file(".wh.x", "").end()),
                        List.of("x"), null),
                Arguments.of("sameLayerWhiteoutBeforeOwnFileKeepsIt", List.of(
                        t().dir("x/").file("x/old", "o").end(),
                        t().file(".wh.x", "").file("x", "upper").end()),
                        List.of("x"), null),
                Arguments.of("sameLayerWhiteoutOfOwnSymlinkKeepsIt", List.of(
                        t().file("x", "lower").end(),
                        t().symlink("x", "elsewhere").file(".wh.x", "").end()),
                        List.of("x"), null),
                Arguments.of("whiteoutOfADirectoryTheLayerOnlyWhitesOutIn", List.of(
                        t().dir("d/").file("d/a", "a").file("d/b", "b").end(),
                        t().dir("d/").file("d/.wh.a", "").file(".wh.d", "").end()),
                        List.of("d"), null),
                Arguments.of("opaqueMarkerAfterOwnEntriesHidesLowerDescendantsOnly (the spec's example)", List.of(
                        t().dir("a/").dir("a/b/").dir("a/b/c/").file("a/b/c/bar", "b").end(),
                        t().dir("a/").dir("a/b/").dir("a/b/c/").file("a/b/c/foo", "f").file("a/.wh..wh..opq", "")
                                .end()),
                        List.of("a", "a/b", "a/b/c", "a/b/c/foo"), null),
                Arguments.of("opaqueMarkerBeforeOwnEntriesHidesLowerDescendantsOnly", List.of(
                        t().dir("a/").dir("a/b/").file("a/b/bar", "b").file("a/top", "t").end(),
                        t().dir("a/").file("a/.wh..wh..opq", "").dir("a/b/").file("a/b/foo", "f").end()),
                        List.of("a", "a/b", "a/b/foo"), null),
                Arguments.of("hardLinkToWhitedOutNameIsRefusedInBothForms", List.of(
                        t().file("x", "lower").end(),
                        t().file(".wh.x", "").hardlink("y", "x").end()),
                        List.of(), "layer 1: UnsafeLayerException at layer entry 2 'y'"),
                Arguments.of("hardLinkToOwnEntryWhitedOutAfterwardsStays", List.of(
                        t().file("x", "lower").end(),
                        t().file("x", "upper").hardlink("y", "x").file(".wh.x", "").end()),
                        List.of("x", "y"), null),
                // issue 12 point 5: a whiteout is an empty regular file
                Arguments.of("whiteoutNamedDirectoryDeletesNothing", List.of(
                        t().dir("etc/").file("etc/motd", "m").end(),
                        t().dir(".wh.etc/").end()),
                        List.of(".wh.etc", "etc", "etc/motd"), null),
                Arguments.of("fileBeneathWhiteoutNamedDirectoryIsKeptLiterally", List.of(
                        t().dir("etc/").file("etc/motd", "m").end(),
                        t().dir(".wh.etc/").file(".wh.etc/somefile", "s").end()),
                        List.of(".wh.etc", ".wh.etc/somefile", "etc", "etc/motd"), null),
                Arguments.of("whiteoutNamedSymlinkDeletesNothing", List.of(
                        t().file("x", "lower").end(),
                        t().symlink(".wh.x", "x").end()),
                        List.of(".wh.x", "x"), null),
                Arguments.of("whiteoutNamedFifoDeletesNothing", List.of(
                        t().file("x", "lower").end(),
                        t().entry(".wh.x").type('6').mode(0644).add().end()),
                        List.of(".wh.x", "x"), null),
                Arguments.of("opaqueMarkerNamedDirectoryHidesNothing", List.of(
                        t().dir("d/").file("d/a", "a").end(),
                        t().dir("d/").dir("d/.wh..wh..opq/").end()),
                        List.of("d", "d/a"), null),
                Arguments.of("hardLinkedWhiteoutsStillDelete (AUFS-era layers)", List.of(
                        t().file("a", "a").file("b", "b").file("c", "c").end(),
                        t().file(".wh.a", "").hardlink(".wh.b", ".wh.a").end()),
                        List.of("c"), null),
                Arguments.of("hardLinkNamedWhiteoutToARealFileIsLiteral", List.of(
                        t().file("a", "a").file("b", "b").end(),
                        t().file("c", "c").hardlink(".wh.b", "c").end()),
                        List.of(".wh.b", "a", "b", "c"), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void vfsOverlayAndPlainAgree(String name, List<TarBuilder> layers, List<String> expected, String refusal) {
        ThreeWayApply.Result r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> ThreeWayApply.apply(tmp, layers.stream().map(TarBuilder::bytes).toList()));
        if (refusal == null) {
            assertThat(r.overlay()).as("overlay's mounted view").isEqualTo(r.plain());
            assertThat(r.vfs()).as("vfs").isEqualTo(r.plain());
        }
        assertThat(r.plain().keySet()).as("the tree").containsExactlyElementsOf(expected);
        assertThat(r.overlay().values()).noneMatch(v -> v.startsWith("char_device") || v.contains("overlay"));
        assertThat(r.plainFailure()).as("refused (delete form)").isEqualTo(refusal);
        assertThat(r.overlayFailure()).as("refused (overlay)").isEqualTo(refusal);
        assertThat(r.vfsFailure()).as("refused (vfs)").isEqualTo(refusal);
    }
}
