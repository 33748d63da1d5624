package dev.strata.image.driver;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.NotFoundException;
import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriterOptions;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.RootedSnapshot;
import dev.strata.image.testing.TarBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The driver conformance suite of DESIGN.md §7: every driver module extends this class and passes all of it (the
 * overlay driver with real mounts). Layers are built by applying tar layers with {@link DiffDriver#applyDiff} or by
 * changing the directory {@link GraphDriver#get} returns.
 */
public abstract class GraphDriverConformanceTest {
    @TempDir
    protected Path storeRoot;
    protected DiffDriver driver;
    private boolean closed;

    /** The provider of the driver under test. */
    protected abstract GraphDriverProvider provider();

    /**
     * Mount points below {@code home} that are mounted now; the default reads /proc/self/mountinfo, so drivers that
     * never mount report none.
     */
    protected List<Path> mountsUnder(Path home) throws IOException {
        List<Path> out = new ArrayList<>();
        String prefix = home.toAbsolutePath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && (f[4].equals(prefix) || f[4].startsWith(prefix + "/"))) {
                out.add(Path.of(f[4]));
            }
        }
        return out;
    }

    @BeforeEach
    void openDriver() throws IOException {
        GraphDriverProvider p = provider();
        assertThat(p.probe(storeRoot.resolve(p.name())).supported()).as("probe").isTrue();
        driver = NaiveDiff.wrap(p.open(storeRoot.resolve(p.name()), Map.of()));
    }

    @AfterEach
    void closeDriver() throws IOException {
        if (!closed) {
            driver.close();
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    /** Creates {@code id} on {@code parent} and applies the uncompressed layer {@code tar}. */
    protected ApplyResult layer(String id, String parent, TarBuilder tar) throws IOException {
        driver.create(id, parent);
        return driver.applyDiff(id, parent, new ByteArrayInputStream(tar.end().bytes()));
    }

    protected Map<String, String> snapshot(String id) throws IOException {
        Path dir = driver.get(id);
        try {
            return RootedSnapshot.describe(dir, true);
        } finally {
            driver.put(id);
        }
    }

    protected List<String> listing(String id) throws IOException {
        return List.copyOf(snapshot(id).keySet());
    }

    protected String read(String id, String path) throws IOException {
        Path dir = driver.get(id);
        try {
            return Files.readString(dir.resolve(path));
        } finally {
            driver.put(id);
        }
    }

    /**
     * False for a driver whose copy-up of a hard-linked file breaks the link with the names left in a lower layer
     * (overlayfs without its index feature: documented kernel behaviour); such a driver must still keep the content.
     */
    protected boolean keepsHardLinksOnCopyUp() {
        return true;
    }

    /**
     * True for a driver whose {@link GraphDriver#mountView} is a real, read-only mount (overlay); false for one whose
     * view is the layer directory itself (vfs), which is neither read-only nor a mount.
     */
    protected boolean viewsAreReadOnlyMounts() {
        return false;
    }

    /** The {@code size=... sha256=...} part of a {@link RootedSnapshot} line. */
    private static String contentOf(String snapshotLine) {
        int i = snapshotLine.indexOf(" size=");
        int j = snapshotLine.indexOf(' ', snapshotLine.indexOf("sha256="));
        return snapshotLine.substring(i + 1, j);
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    // ---- cases ----------------------------------------------------------------------------------------------------

    @Test
    void emptyLayerIsAnEmpty0755Directory() throws IOException {
        driver.create("empty", null);
        Path dir = driver.get("empty");
        try {
            assertThat(dir).isDirectory();
            try (Stream<Path> s = Files.list(dir)) {
                assertThat(s).isEmpty();
            }
            assertThat(mode(dir)).isEqualTo(0755);
        } finally {
            driver.put("empty");
        }
        assertThat(driver.parent("empty")).isNull();
        assertThat(driver.changes("empty", null)).isEmpty();
    }

    @Test
    void baseLayerKeepsStickyDirSetuidFileAndModes() throws IOException {
        layer("base", null, new TarBuilder()
                .entry("tmp").type('5').mode(01777).add()
                .entry("bin/").type('5').mode(0755).add()
                .entry("bin/su").mode(04755).data("su").add()
                .entry("etc/shadow").mode(0640).data("secret").add());
        layer("child", "base", new TarBuilder().file("etc/motd", "hi"));
        for (String id : List.of("base", "child")) {
            Path dir = driver.get(id);
            try {
                assertThat(mode(dir.resolve("tmp"))).as(id + " tmp").isEqualTo(01777);
                assertThat(mode(dir.resolve("bin/su"))).as(id + " su").isEqualTo(04755);
                assertThat(mode(dir.resolve("etc/shadow"))).as(id + " shadow").isEqualTo(0640);
            } finally {
                driver.put(id);
            }
        }
    }

    @Test
    void baseLayerKeepsOwnersAndFileCapabilitiesInChildren() throws IOException {
        Capabilities.requireRoot();
        byte[] cap = {1, 0, 0, 2, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        layer("base", null, new TarBuilder()
                .entry("home/").type('5').mode(0755).add()
                .entry("home/user/").type('5').mode(0700).owner(1000, 1000).add()
                .entry("home/user/f").mode(0600).owner(1000, 1001).data("x").add()
                .entry("bin/ping").mode(04755).owner(0, 0).data("ping")
                .pax("SCHILY.xattr.security.capability", cap).add());
        layer("child", "base", new TarBuilder().file("new", "n"));
        Map<String, String> base = snapshot("base");
        Map<String, String> child = snapshot("child");
        assertThat(base.get("home/user/f")).contains("owner=1000:1001");
        assertThat(base.get("home/user")).contains("owner=1000:1000");
        assertThat(base.get("bin/ping")).contains("mode=4755", "xattr:security.capability=");
        child.remove("new");
        child.remove(".");
        base.remove(".");
        assertThat(child).isEqualTo(base);
    }

    @Test
    void childSeesParentContentAndItsOwnChanges() throws IOException {
        layer("base", null, new TarBuilder().file("a", "base a").file("keep", "k"));
        layer("child", "base", new TarBuilder().file("a", "child a").file("b", "child b"));
        assertThat(read("child", "a")).isEqualTo("child a");
        assertThat(read("child", "b")).isEqualTo("child b");
        assertThat(read("child", "keep")).isEqualTo("k");
        assertThat(read("base", "a")).isEqualTo("base a");
        assertThat(listing("base")).containsExactly(".", "a", "keep");
        assertThat(driver.parent("child")).isEqualTo("base");
    }

    @Test
    void chainOf128LayersIsReadable() throws IOException {
        String parent = null;
        for (int i = 0; i < 128; i++) {
            String id = "l" + i;
            layer(id, parent, new TarBuilder().file("f" + i, "layer " + i).file("top", Integer.toString(i)));
            parent = id;
        }
        Path top = driver.get("l127");
        try {
            assertThat(Files.readString(top.resolve("top"))).isEqualTo("127");
            for (int i = 0; i < 128; i++) {
                assertThat(Files.readString(top.resolve("f" + i))).isEqualTo("layer " + i);
            }
        } finally {
            driver.put("l127");
        }
        assertThat(driver.layers()).hasSize(128);
        assertThat(driver.parent("l127")).isEqualTo("l126");
    }

    @Test
    void diffAppliedToParentReproducesTheLayerWithDiffSize() throws IOException {
        layer("base", null, new TarBuilder()
                .dir("etc").file("etc/passwd", "root:x:0:0")
                .dir("gone").file("gone/a", "a").file("keep", "keep")
                .entry("data").mode(0644).data(new byte[100_000]).add());
        layer("child", "base", new TarBuilder()
                .entry("etc/passwd").mode(0600).data("root:x:0:0\nuser:x:1000").add()
                .file(".wh.gone", "")
                .symlink("link", "/etc/passwd")
                .file("new/file", "new")
                .hardlink("new/hard", "new/file"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerWriteResult written = driver.diff("child", "base", out, LayerWriterOptions.of(Compression.GZIP));
        long diffSize = driver.diffSize("child", "base");
        assertThat(diffSize).isEqualTo(written.uncompressedSize());

        driver.create("replica", "base");
        ApplyResult applied = driver.applyDiff("replica", "base", new ByteArrayInputStream(out.toByteArray()));
        assertThat(applied.uncompressedSize()).isEqualTo(diffSize);
        assertThat(applied.diffId()).isEqualTo(written.diffId());
        Map<String, String> replica = snapshot("replica");
        Map<String, String> child = snapshot("child");
        replica.remove(".");
        child.remove(".");
        assertThat(replica).isEqualTo(child);
        assertThat(driver.changes("replica", "base")).isEqualTo(driver.changes("child", "base"));
    }

    @Test
    void changesListAddModifyDeleteExactlyWithContainingDirs() throws IOException {
        layer("base", null, new TarBuilder()
                .dir("etc").file("etc/passwd", "root").file("etc/hosts", "localhost")
                .dir("var").dir("var/log").file("var/log/x", "x").file("var/log/y", "y")
                .dir("usr").file("usr/untouched", "u"));
        driver.create("child", "base");
        Path dir = driver.get("child");
        try {
            Files.writeString(dir.resolve("etc/passwd"), "root\nuser");
            Files.writeString(dir.resolve("etc/new"), "n");
            Files.delete(dir.resolve("var/log/x"));
        } finally {
            driver.put("child");
        }
        assertThat(driver.changes("child", "base")).extracting(Change::toString).containsExactly(
                "C /etc", "A /etc/new", "C /etc/passwd", "C /var", "C /var/log", "D /var/log/x");
        assertThat(driver.changes("base", null)).extracting(Change::toString).contains(
                "A /etc", "A /etc/passwd", "A /usr/untouched").allMatch(s -> s.startsWith("A "));
    }

    @Test
    void directoryRemovedThenRecreatedShowsNothingOld() throws IOException {
        layer("base", null, new TarBuilder().dir("d").file("d/old", "old").dir("d/sub").file("d/sub/old2", "o"));
        layer("removed", "base", new TarBuilder().file(".wh.d", ""));
        layer("recreated", "removed", new TarBuilder().dir("d").file("d/new", "new"));
        layer("opaque", "base", new TarBuilder().dir("d").file("d/.wh..wh..opq", "").file("d/fresh", "f"));
        assertThat(listing("removed")).containsExactly(".");
        assertThat(listing("recreated")).containsExactly(".", "d", "d/new");
        assertThat(listing("opaque")).containsExactly(".", "d", "d/fresh");
        assertThat(driver.changes("recreated", "removed")).extracting(Change::toString)
                .containsExactly("A /d", "A /d/new");
    }

    @Test
    void chownInChildLayer() throws IOException {
        Capabilities.requireRoot();
        layer("base", null, new TarBuilder().entry("f").mode(0644).owner(0, 0).data("f").add());
        layer("child", "base", new TarBuilder().entry("f").mode(0644).owner(1000, 1001).data("f").add());
        driver.create("chowned", "base");
        Path dir = driver.get("chowned");
        try {
            Files.setAttribute(dir.resolve("f"), "unix:uid", 2000, LinkOption.NOFOLLOW_LINKS);
        } finally {
            driver.put("chowned");
        }
        assertThat(snapshot("base").get("f")).contains("owner=0:0");
        assertThat(snapshot("child").get("f")).contains("owner=1000:1001");
        assertThat(snapshot("chowned").get("f")).contains("owner=2000:0");
        assertThat(driver.changes("chowned", "base")).extracting(Change::toString).containsExactly("C /f");
    }

    @Test
    void deleteInChildStaysDeletedInGrandchildren() throws IOException {
        layer("base", null, new TarBuilder().dir("a").file("a/x", "x").file("a/y", "y"));
        layer("child", "base", new TarBuilder().file("a/.wh.x", ""));
        layer("grandchild", "child", new TarBuilder().file("b", "b"));
        layer("great", "grandchild", new TarBuilder().file("a/z", "z"));
        assertThat(listing("grandchild")).containsExactly(".", "a", "a/y", "b");
        assertThat(listing("great")).containsExactly(".", "a", "a/y", "a/z", "b");
        assertThat(listing("base")).contains("a/x");
    }

    @Test
    void moveHardlinkedFileBetweenDirectories() throws IOException {
        layer("base", null, new TarBuilder().dir("one").dir("two").file("one/f", "shared").hardlink("one/g", "one/f"));
        assertThat(snapshot("base").get("one/g")).contains("link-group=one/f");
        driver.create("moved", "base");
        Path dir = driver.get("moved");
        try {
            Files.move(dir.resolve("one/f"), dir.resolve("two/f"));
        } finally {
            driver.put("moved");
        }
        driver.create("after", "moved");
        for (String id : List.of("moved", "after")) {
            Map<String, String> s = snapshot(id);
            assertThat(s).as(id).doesNotContainKey("one/f");
            if (keepsHardLinksOnCopyUp()) {
                assertThat(s.get("one/g")).as(id).contains("link-group=one/g");
                assertThat(s.get("two/f")).as(id).contains("link-group=one/g");
            } else {
                assertThat(contentOf(s.get("two/f"))).as(id).isEqualTo(contentOf(s.get("one/g")))
                        .contains("size=6 sha256=");
            }
        }
        assertThat(driver.changes("moved", "base")).extracting(Change::toString)
                .contains("C /one", "D /one/f", "C /two", "A /two/f");
        // a layer cannot link to lower content, so the moved file arrives as a copy with the same content
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        driver.diff("moved", "base", out, LayerWriterOptions.of(Compression.NONE));
        driver.create("replica", "base");
        driver.applyDiff("replica", "base", new ByteArrayInputStream(out.toByteArray()));
        assertThat(read("replica", "two/f")).isEqualTo("shared");
        assertThat(read("replica", "one/g")).isEqualTo("shared");
        assertThat(listing("replica")).containsExactly(".", "one", "one/g", "two", "two/f");
    }

    @Test
    void layersListsExactlyWhatWasCreated() throws IOException {
        assertThat(driver.layers()).isEmpty();
        driver.create("a", null);
        driver.create("b", "a");
        driver.create("c", null);
        driver.remove("c");
        assertThat(driver.layers()).containsExactly("a", "b");
        assertThat(driver.exists("c")).isFalse();
        assertThat(driver.exists("a")).isTrue();
        assertThatThrownBy(() -> driver.create("a", null)).isInstanceOf(dev.strata.image.AlreadyExistsException.class);
        assertThatThrownBy(() -> driver.create("d", "missing")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> driver.create("../evil", null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(driver.layers()).containsExactly("a", "b");
    }

    @Test
    void layersSeesWhatAnotherInstanceCreatesAndRemoves() throws IOException {
        driver.create("a", null);
        assertThat(driver.layers()).containsExactly("a");
        try (GraphDriver other = provider().open(driver.home(), Map.of())) { // like another process
            other.create("b", "a");
            assertThat(driver.layers()).containsExactly("a", "b");
            other.remove("b");
            assertThat(driver.layers()).containsExactly("a");
            other.create("c", null);
            other.create("d", null);
            assertThat(driver.layers()).containsExactly("a", "c", "d");
            other.remove("c");
        }
        assertThat(driver.layers()).containsExactly("a", "d");
        driver.remove("d");
        assertThat(driver.layers()).containsExactly("a");
    }

    @Test
    void getTwicePutOnceStaysMounted() throws IOException {
        layer("base", null, new TarBuilder().file("f", "content"));
        layer("child", "base", new TarBuilder().file("g", "more"));
        Path first = driver.get("child");
        Path second = driver.get("child");
        assertThat(second).isEqualTo(first);
        List<Path> mountedWhileHeld = mountsUnder(driver.home());
        driver.put("child");
        assertThat(Files.readString(first.resolve("f"))).isEqualTo("content");
        assertThat(Files.readString(first.resolve("g"))).isEqualTo("more");
        assertThat(mountsUnder(driver.home())).isEqualTo(mountedWhileHeld);
        driver.put("child");
        assertThatThrownBy(() -> driver.put("child")).isInstanceOf(IllegalStateException.class);
        assertThat(mountsUnder(driver.home())).isEmpty();
    }

    @Test
    void removingALayerWithChildrenFails() throws IOException {
        driver.create("parent", null);
        driver.create("child", "parent");
        assertThatThrownBy(() -> driver.remove("parent")).isInstanceOf(FailedPreconditionException.class)
                .hasMessageContaining("child");
        assertThat(driver.exists("parent")).isTrue();
        driver.remove("child");
        driver.remove("parent");
        assertThat(driver.layers()).isEmpty();
        assertThatThrownBy(() -> driver.remove("parent")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void closeReleasesEveryMount() throws IOException {
        layer("base", null, new TarBuilder().file("f", "x"));
        driver.create("child", "base");
        driver.get("base");
        driver.get("child");
        driver.get("child");
        driver.close();
        closed = true;
        assertThat(mountsUnder(driver.home())).isEmpty();
        assertThatThrownBy(() -> driver.get("base")).isInstanceOf(IllegalStateException.class);
        try (GraphDriver reopened = provider().open(driver.home(), Map.of())) {
            assertThat(reopened.layers()).containsExactly("base", "child");
            Path dir = reopened.get("child");
            assertThat(Files.readString(dir.resolve("f"))).isEqualTo("x");
            reopened.put("child");
        }
    }

    @Test
    void viewShowsTheWholeLayerAndOutlivesTheDriver() throws IOException {
        layer("base", null, new TarBuilder().file("a", "base a").file("gone", "g").entry("s").mode(04755).data("s")
                .add());
        layer("child", "base", new TarBuilder().file("a", "child a").file(".wh.gone", ""));
        Path view = driver.mountView("child");
        Path baseView = driver.mountView("base");
        try {
            assertThat(driver.mountView("child")).as("idempotent").isEqualTo(view);
            assertThat(Files.readString(view.resolve("a"))).isEqualTo("child a");
            assertThat(view.resolve("gone")).doesNotExist();
            assertThat(mode(view.resolve("s"))).isEqualTo(04755);
            assertThat(Files.readString(baseView.resolve("gone"))).isEqualTo("g");
            assertThat(driver.viewMounted("child")).isTrue();
            if (viewsAreReadOnlyMounts()) {
                assertThat(mountsUnder(driver.home())).contains(view, baseView);
                assertThatThrownBy(() -> Files.writeString(view.resolve("new"), "x")).isInstanceOf(IOException.class);
            }
            driver.close();
            closed = true;
            assertThat(Files.readString(view.resolve("a"))).as("after close").isEqualTo("child a");
            try (GraphDriver reopened = provider().open(driver.home(), Map.of())) {
                assertThat(reopened.viewMounted("child")).as("after reopen").isTrue();
                assertThat(reopened.mountView("child")).isEqualTo(view);
                assertThat(Files.readString(view.resolve("a"))).isEqualTo("child a");
                reopened.unmountView("child");
                reopened.unmountView("child"); // nothing attached: no-op
                reopened.unmountView("base");
                assertThat(mountsUnder(reopened.home())).isEmpty();
                if (viewsAreReadOnlyMounts()) {
                    assertThat(reopened.viewMounted("child")).isFalse();
                }
                assertThatThrownBy(() -> reopened.mountView("missing")).isInstanceOf(NotFoundException.class);
            }
        } finally {
            if (!closed) {
                driver.unmountView("child");
                driver.unmountView("base");
            }
        }
    }

    @Test
    void writableViewChangesTheLayerAndOutlivesTheDriver() throws IOException {
        layer("base", null, new TarBuilder().file("a", "base a").file("gone", "g").dir("d").file("d/keep", "k"));
        layer("image", "base", new TarBuilder().file("b", "image b"));
        driver.create("rw", "image");
        Path rw = driver.mountWritable("rw");
        try {
            assertThat(driver.mountWritable("rw")).as("idempotent").isEqualTo(rw);
            assertThat(driver.writableMounted("rw")).isTrue();
            assertThat(Files.readString(rw.resolve("a"))).isEqualTo("base a");
            Files.writeString(rw.resolve("new"), "added");
            Files.writeString(rw.resolve("b"), "changed b");
            Files.delete(rw.resolve("gone"));
            assertThat(read("rw", "new")).as("get shows what the writable view wrote").isEqualTo("added");
            assertThat(driver.changes("rw", "image")).extracting(Change::toString)
                    .containsExactly("C /b", "D /gone", "A /new");
            if (viewsAreReadOnlyMounts()) {
                assertThat(mountsUnder(driver.home())).contains(rw);
                assertThatThrownBy(() -> driver.remove("rw")).isInstanceOf(FailedPreconditionException.class)
                        .hasMessageContaining(rw.toString());
                assertThatThrownBy(() -> driver.applyDiff("rw", "image",
                        new ByteArrayInputStream(new TarBuilder().file("x", "x").end().bytes())))
                        .isInstanceOf(FailedPreconditionException.class);
            }
            assertThat(read("image", "b")).as("the image layer is untouched").isEqualTo("image b");
            driver.close();
            closed = true;
            assertThat(Files.readString(rw.resolve("new"))).as("after close").isEqualTo("added");
            Files.writeString(rw.resolve("late"), "written after close");
            try (DiffDriver reopened = NaiveDiff.wrap(provider().open(driver.home(), Map.of()))) {
                assertThat(reopened.writableMounted("rw")).as("after reopen").isTrue();
                assertThat(reopened.mountWritable("rw")).isEqualTo(rw);
                reopened.unmountWritable("rw");
                reopened.unmountWritable("rw"); // nothing attached: no-op
                assertThat(mountsUnder(reopened.home())).isEmpty();
                if (viewsAreReadOnlyMounts()) {
                    assertThat(reopened.writableMounted("rw")).isFalse();
                }
                assertThat(reopened.changes("rw", "image")).extracting(Change::toString)
                        .containsExactly("C /b", "D /gone", "A /late", "A /new");
                Path dir = reopened.get("rw");
                try {
                    assertThat(Files.readString(dir.resolve("late"))).isEqualTo("written after close");
                    assertThat(dir.resolve("gone")).doesNotExist();
                } finally {
                    reopened.put("rw");
                }
                reopened.remove("rw");
                assertThat(reopened.layers()).containsExactly("base", "image");
                assertThatThrownBy(() -> reopened.mountWritable("missing")).isInstanceOf(NotFoundException.class);
            }
        } finally {
            if (!closed) {
                driver.unmountWritable("rw");
            }
        }
    }

    @Test
    void viewOf128LayerChainIsReadableAndNotCountedByGetPut() throws IOException {
        String parent = null;
        for (int i = 0; i < 128; i++) {
            String id = "l" + i;
            layer(id, parent, new TarBuilder().file("f" + i, "layer " + i).file("top", Integer.toString(i)));
            parent = id;
        }
        Path view = driver.mountView("l127");
        try {
            assertThat(Files.readString(view.resolve("top"))).isEqualTo("127");
            assertThat(Files.readString(view.resolve("f0"))).isEqualTo("layer 0");
            Path rw = driver.get("l127");
            driver.put("l127");
            assertThat(Files.readString(view.resolve("f64"))).as("a get/put pair leaves the view").isEqualTo("layer 64");
            assertThat(rw).isNotNull();
            if (viewsAreReadOnlyMounts()) {
                assertThatThrownBy(() -> driver.remove("l127")).isInstanceOf(FailedPreconditionException.class)
                        .hasMessageContaining(view.toString());
            }
        } finally {
            driver.unmountView("l127");
        }
        driver.remove("l127");
        assertThat(mountsUnder(driver.home())).isEmpty();
    }

    @Test
    void contentWrittenThroughGetPersistsAcrossReopen() throws IOException {
        driver.create("l", null);
        Path dir = driver.get("l");
        Files.writeString(dir.resolve("f"), "data", StandardCharsets.UTF_8);
        driver.put("l");
        driver.close();
        closed = true;
        try (GraphDriver reopened = provider().open(driver.home(), Map.of())) {
            Path again = reopened.get("l");
            assertThat(Files.readString(again.resolve("f"))).isEqualTo("data");
            reopened.put("l");
        }
    }
}
