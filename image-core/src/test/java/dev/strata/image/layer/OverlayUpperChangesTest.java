package dev.strata.image.layer;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.strata.image.layer.TreeFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Changes.fromOverlayUpper: whiteouts, opaque dirs and add-vs-modify looked up through lowers with their own whiteouts. */
class OverlayUpperChangesTest {

    @TempDir
    Path tmp;

    @Test
    void readsTheChangeSetFromAnUpperDirectory() throws IOException {
        Capabilities.requireRoot(); // whiteouts are char devices 0/0
        Path l2 = tmp.resolve("l2"); // bottom
        Path l1 = tmp.resolve("l1"); // over l2
        Path up = tmp.resolve("upper");
        file(l2, "a/x", "x");
        file(l2, "a/y", "y");
        file(l2, "b/f", "f");
        file(l2, "gone/z", "z");
        file(l2, "c", "c was a file");
        file(l2, "d/old", "old");
        file(l2, "o/k", "k");
        file(l2, "o/other", "other");
        file(l1, "a/w", "w");
        dir(l1, "b");
        sh(l1, "mknod", "b/f", "c", "0", "0"); // l1 deleted /b/f
        dir(l1, "d");
        userXattr(l1.resolve("d"), "overlay.opaque", "y"); // l1 replaced /d: l2's /d/old is hidden

        file(up, "a/x", "changed");
        file(up, "a/new", "new");
        file(up, "a/w", "w changed");
        file(up, "b/f", "f again"); // deleted below, so an addition here
        sh(up, "mknod", "gone", "c", "0", "0");
        file(up, "o/k", "k");
        userXattr(up.resolve("o"), "overlay.opaque", "y");
        file(up, "d/old", "old again");
        file(up, "c/n", "c is a dir now");
        file(up, "new/dir/f", "f");

        List<Change> changes = Changes.fromOverlayUpper(up, List.of(l1, l2));

        assertThat(listing(changes)).containsExactly(
                "C /a", "A /a/new", "C /a/w", "C /a/x",
                "C /b", "A /b/f",
                "C /c", "A /c/n",
                "C /d", "A /d/old",
                "D /gone",
                "A /new", "A /new/dir", "A /new/dir/f",
                "C /o", "A /o/k");
        assertThat(changes).filteredOn(Change::opaque).extracting(Change::path).containsExactly("/o");
    }

    @Test
    void withoutLowersEverythingIsAnAddition() throws IOException {
        Path up = tmp.resolve("upper");
        file(up, "etc/x", "x");
        userXattr(up.resolve("etc"), "overlay.opaque", "y");
        List<Change> changes = Changes.fromOverlayUpper(up, List.of());
        assertThat(listing(changes)).containsExactly("A /etc", "A /etc/x");
        assertThat(changes.get(0).opaque()).isTrue();
    }

    @Test
    void opaqueNeedsTheValueY() throws IOException {
        Path low = tmp.resolve("lower");
        Path up = tmp.resolve("upper");
        file(low, "etc/x", "x");
        file(up, "etc/y", "y");
        userXattr(up.resolve("etc"), "overlay.opaque", "n");
        List<Change> changes = Changes.fromOverlayUpper(up, List.of(low));
        assertThat(listing(changes)).containsExactly("C /etc", "A /etc/y");
        assertThat(changes).noneMatch(Change::opaque);
    }

    @Test
    void refusesMetacopyUppers() throws IOException {
        Path up = tmp.resolve("upper");
        file(up, "big", "");
        userXattr(up.resolve("big"), "overlay.metacopy", "");
        FailedPreconditionException e = assertThrows(FailedPreconditionException.class,
                () -> Changes.fromOverlayUpper(up, List.of()));
        assertThat(e.getMessage()).contains("/big").contains("metacopy");
    }

    @Test
    void refusesAnUpperThatIsNotADirectory() throws IOException {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        assertThrows(IOException.class, () -> Changes.fromOverlayUpper(f, List.of()));
    }
}
