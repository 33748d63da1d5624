package dev.strata.image.store;

import dev.strata.image.AlreadyExistsException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.NotFoundException;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriterOptions;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.testing.RootedSnapshot;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Containers in a store, on a real driver: every driver module extends this class (the overlay one with real
 * mounts, failing in CI without them). Create, read-write mount, changes, diff (applied onto the image's rootfs it
 * gives the container's view), persistence across reopen, removal, what protects the image and its layers.
 */
public abstract class ContainerStoreConformanceTest {
    @TempDir
    protected Path tmp;

    /** The driver's name, e.g. {@code vfs}; checks that it can run here (or fails in CI). */
    protected abstract String driverName();

    protected StoreOptions options() {
        return StoreOptions.defaults().withDriver(driverName());
    }

    protected Store open() throws IOException {
        return Store.open(tmp.resolve("store"), options());
    }

    /** Base: a, gone, d/keep, e/f; second layer: b. */
    protected static ImageManifest addImage(Store store, String name) throws IOException {
        byte[] base = new TarBuilder().file("a", "base a").file("gone", "g").dir("d").file("d/keep", "k")
                .dir("e").file("e/f", "ef").end().bytes();
        byte[] second = new TarBuilder().file("b", "image b").end().bytes();
        ImageManifest m = TestImages.write(store.content(), List.of(base, second));
        store.addImage(name, m.digest());
        return m;
    }

    private static Map<String, String> tree(Path dir) throws IOException {
        Map<String, String> d = RootedSnapshot.describe(dir, false);
        d.remove(".");
        return d;
    }

    @Test
    void createMountChangeDiffAndRemove() throws IOException {
        try (Store store = open()) {
            ImageManifest m = addImage(store, "img");
            Container c = store.createContainer("img", "web");
            assertThat(c.id()).matches("[0-9a-f]{64}");
            assertThat(c.name()).isEqualTo("web");
            assertThat(c.imageName()).isEqualTo("img");
            assertThat(c.imageManifest()).isEqualTo(m.digest());
            assertThat(c.topLayer()).isEqualTo(store.topLayer("img").orElseThrow());
            assertThat(c.mounted()).isFalse();
            assertThat(store.containers()).containsExactly(c);
            assertThat(store.resolveContainer("web")).isEqualTo(c);
            assertThat(store.resolveContainer(c.id())).isEqualTo(c);
            assertThat(store.resolveContainer(c.id().substring(0, 5))).isEqualTo(c);
            assertThatThrownBy(() -> store.createContainer("img", "web")).isInstanceOf(AlreadyExistsException.class)
                    .hasMessageContaining("web");
            assertThatThrownBy(() -> store.resolveContainer("nope")).isInstanceOf(NotFoundException.class);
            assertThat(store.changes(c)).as("a new container has no changes").isEmpty();

            Path rw = store.mountContainer(c);
            assertThat(store.mountContainer(c)).as("a second mount, same path").isEqualTo(rw);
            assertThat(store.resolveContainer("web").mountCount()).isEqualTo(2);
            assertThat(Files.readString(rw.resolve("b"))).isEqualTo("image b");
            Files.writeString(rw.resolve("new"), "added");
            Files.writeString(rw.resolve("b"), "changed b");
            Files.delete(rw.resolve("gone"));
            Files.delete(rw.resolve("e/f"));
            Files.delete(rw.resolve("e"));
            Files.writeString(rw.resolve("d/more"), "more");
            assertThat(store.changes(c)).extracting(Change::toString)
                    .containsExactly("C /b", "C /d", "A /d/more", "D /e", "D /gone", "A /new");

            Path layer = tmp.resolve("layer.tar.gz");
            LayerWriteResult written;
            try (OutputStream out = Files.newOutputStream(layer)) {
                written = store.diff(c, out, LayerWriterOptions.of(Compression.GZIP));
            }
            assertThat(written.size()).isEqualTo(Files.size(layer));
            assertThat(written.digest()).isEqualTo(dev.strata.image.digest.Digest.sha256(Files.readAllBytes(layer)));
            Path rootfs = tmp.resolve("rootfs");
            store.unpack("img", rootfs);
            try (InputStream in = Files.newInputStream(layer)) {
                assertThat(new LayerApplier().apply(in, rootfs).diffId()).isEqualTo(written.diffId());
            }
            assertThat(tree(rootfs)).as("image + layer = the container's view").isEqualTo(tree(rw));

            assertThat(store.unmountContainer(c)).isEqualTo(1);
            assertThat(store.unmountContainer(c)).isZero();
            assertThatThrownBy(() -> store.unmountContainer(c)).isInstanceOf(FailedPreconditionException.class)
                    .hasMessageContaining("not mounted");
            assertThat(store.changes(c)).as("changes stay after unmount").hasSize(6);

            store.removeContainer(c, false);
            assertThat(store.containers()).isEmpty();
            assertThatThrownBy(() -> store.resolveContainer("web")).isInstanceOf(NotFoundException.class);
            assertThat(new HashSet<>(store.driver().layers())).as("the container's driver layer is gone")
                    .isEqualTo(layerDriverIds(store));
            store.removeImage("img");
            assertThat(store.layers().list()).isEmpty();
        }
    }

    @Test
    void containersAndTheirMountsSurviveReopen() throws IOException {
        Container c;
        Path rw;
        try (Store store = open()) {
            addImage(store, "img");
            c = store.createContainer("img", null);
            assertThat(c.name()).as("generated").matches("[a-z]+_[a-z]+(_[0-9a-f]{6})?");
            rw = store.mountContainer(c);
            Files.writeString(rw.resolve("new"), "added");
        }
        assertThat(Files.readString(rw.resolve("new"))).as("the mount outlives the store").isEqualTo("added");
        try (Store store = open()) {
            Container again = store.resolveContainer(c.name());
            assertThat(again).isEqualTo(c.withMountCount(1));
            assertThat(store.mountContainer(again)).isEqualTo(rw);
            assertThat(store.unmountContainer(again)).isEqualTo(1);
            assertThat(store.changes(again)).extracting(Change::toString).containsExactly("A /new");
            assertThatThrownBy(() -> store.removeContainer(again, false))
                    .isInstanceOf(FailedPreconditionException.class).hasMessageContaining("mounted");
            store.removeContainer(again, true);
            assertThat(store.containers()).isEmpty();
            assertThat(new HashSet<>(store.driver().layers())).isEqualTo(layerDriverIds(store));
        }
    }

    /** True for a driver whose writable view is a real mount (overlay), false where it is the layer's directory. */
    protected boolean writableViewsAreMounts() {
        return false;
    }

    @Test
    void openRepairsMountsThatWentAwayOrWereNeverRecorded() throws IOException {
        Container c;
        Container d;
        Path stray;
        try (Store store = open()) {
            addImage(store, "img");
            c = store.createContainer("img", "gone");
            d = store.createContainer("img", "stray");
            store.mountContainer(c);
            store.driver().unmountWritable(c.driverId()); // a reboot, or an umount behind the store's back
            stray = store.driver().mountWritable(d.driverId()); // attached, never recorded: a crash in between
        }
        try (Store store = open()) {
            if (writableViewsAreMounts()) {
                assertThat(store.resolveContainer("gone").mountCount()).as("count of a vanished mount").isZero();
                assertThat(store.driver().writableMounted(d.driverId())).as("unrecorded mount detached").isFalse();
                assertThat(stray).isDirectory();
            } else {
                assertThat(store.resolveContainer("gone").mountCount()).as("the directory is the view").isEqualTo(1);
            }
            assertThat(store.resolveContainer("stray").mountCount()).isZero();
            store.removeContainer(store.resolveContainer("gone"), true);
            store.removeContainer(store.resolveContainer("stray"), false);
            assertThat(new HashSet<>(store.driver().layers())).isEqualTo(layerDriverIds(store));
        }
    }

    @Test
    void theImageAndItsLayersStayWhileAContainerStandsOnIt() throws IOException {
        try (Store store = open()) {
            addImage(store, "img");
            Container c = store.createContainer("img", "app");
            assertThatThrownBy(() -> store.removeImage("img")).isInstanceOf(FailedPreconditionException.class)
                    .hasMessageContaining("app").hasMessageContaining(c.shortId());
            // The name moves to another image: the old layers now belong to the container alone.
            byte[] other = new TarBuilder().file("other", "o").end().bytes();
            store.addImage("img", TestImages.write(store.content(), List.of(other)).digest());
            StoreGcResult gc = store.gc();
            assertThat(gc.layersRemoved()).doesNotContain(c.topLayer());
            assertThat(store.layers().get(c.topLayer())).isPresent();
            Path rw = store.mountContainer(c);
            assertThat(Files.readString(rw.resolve("b"))).isEqualTo("image b");
            store.unmountContainer(c);
            store.removeImage("img"); // no container stands on the new image
            store.removeContainer(c, false);
            assertThat(store.layers().list()).as("the container's image layers went with it").isEmpty();
            assertThat(store.driver().layers()).isEmpty();
        }
    }

    @Test
    void anAmbiguousIdPrefixIsRefusedNamingTheMatches() throws IOException {
        try (Store store = open()) {
            addImage(store, "img");
            Map<Character, List<Container>> byFirst = new HashMap<>();
            for (int i = 0; i < 17; i++) { // 17 ids, 16 first digits: two share one
                Container c = store.createContainer("img", "c" + i);
                byFirst.computeIfAbsent(c.id().charAt(0), k -> new ArrayList<>()).add(c);
            }
            List<Container> shared = byFirst.values().stream().filter(l -> l.size() > 1).findFirst().orElseThrow();
            String prefix = shared.get(0).id().substring(0, 1);
            assertThatThrownBy(() -> store.resolveContainer(prefix)).isInstanceOf(FailedPreconditionException.class)
                    .hasMessageContaining("ambiguous").hasMessageContaining(shared.get(0).name())
                    .hasMessageContaining(shared.get(1).name());
            assertThat(store.resolveContainer(shared.get(1).id().substring(0, 20))).isEqualTo(shared.get(1));
            assertThat(store.resolveContainer("c3").name()).isEqualTo("c3");
            for (String bad : List.of("", "-x", "a/b", "..", "a b", "x".repeat(129))) {
                assertThatThrownBy(() -> store.createContainer("img", bad)).as(bad)
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    /**
     * A process in the container swaps a directory of its root file system for a symlink to a host directory
     * while the diff reads it: the layer holds the container's own files at most, never the host's.
     */
    @Test
    void diffNeverFollowsASymlinkSwappedIntoTheContainer() throws Exception {
        Path host = tmp.resolve("host");
        Files.createDirectories(host);
        String secret = "HOST-SECRET-" + System.nanoTime();
        Files.writeString(host.resolve("secret"), secret);
        try (Store store = open()) {
            addImage(store, "img");
            Container c = store.createContainer("img", "racer");
            Path rw = store.mountContainer(c);
            try {
                Path dir = rw.resolve("swap");
                Path aside = rw.resolve("swap.aside");
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("secret"), "container's own");
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                Thread swapper = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            Files.move(dir, aside);
                            Files.createSymbolicLink(dir, host);
                            Files.delete(dir);
                            Files.move(aside, dir);
                            java.util.concurrent.locks.LockSupport.parkNanos(20_000); // the real dir stays a while
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                swapper.start();
                int written = 0;
                int failed = 0;
                try {
                    for (int i = 0; i < 2000 && (written < 50 || i < 200); i++) {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        try {
                            store.diff(c, out, LayerWriterOptions.of(Compression.NONE));
                        } catch (IOException e) {
                            failed++; // an entry vanished or turned into a symlink mid-read: refused, fine
                            continue;
                        }
                        written++;
                        String tar = out.toString(StandardCharsets.ISO_8859_1);
                        assertThat(tar).as("diff %d", i).doesNotContain(secret);
                    }
                } finally {
                    stop.set(true);
                    swapper.join();
                }
                assertThat(written).as("diffs that completed (%d failed)", failed).isGreaterThan(0);
            } finally {
                store.unmountContainer(c);
            }
        }
    }

    /**
     * kill -9 of a process creating containers, at seeded random moments: the store opens with no half container
     * (every record's driver layer is there and shows the image) and no driver layer that neither a layer record
     * nor a container owns.
     */
    @Test
    void killedCreatesLeaveNoHalfContainer() throws Exception {
        try (Store store = open()) {
            TarBuilder big = new TarBuilder();
            java.util.Random random = new java.util.Random(7);
            for (int i = 0; i < 300; i++) {
                byte[] data = new byte[4096 + random.nextInt(8192)];
                random.nextBytes(data);
                big.entry("f" + i).mode(0644).data(data).add();
            }
            ImageManifest m = TestImages.write(store.content(), List.of(big.end().bytes(),
                    new TarBuilder().file("b", "image b").end().bytes()));
            store.addImage("img", m.digest());
        }
        java.util.Random random = new java.util.Random(42);
        int created = 0;
        for (int trial = 0; trial < 8; trial++) {
            Process child = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-Xmx128m",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    ContainerCrashChild.class.getName(), tmp.resolve("store").toString(), driverName())
                    .redirectErrorStream(true).start();
            java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
                    child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = r.readLine()) != null && !line.equals("creating")) {
                seen.append(line).append('\n');
            }
            assertThat(line).as("child output: %s", seen).isEqualTo("creating");
            Thread drain = new Thread(() -> {
                try {
                    r.transferTo(java.io.Writer.nullWriter());
                } catch (IOException ignored) {
                    // killed
                }
            });
            drain.setDaemon(true);
            drain.start();
            Thread.sleep(50 + random.nextInt(400));
            child.destroyForcibly();
            assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            try (Store store = open()) {
                List<Container> all = store.containers();
                created += all.size();
                Set<String> owned = layerDriverIds(store);
                for (Container c : all) {
                    assertThat(store.driver().exists(c.driverId())).as("trial %d: %s", trial, c.name()).isTrue();
                    owned.add(c.driverId());
                }
                assertThat(new HashSet<>(store.driver().layers())).as("trial %d: no orphans", trial)
                        .isEqualTo(owned);
                if (!all.isEmpty()) {
                    Container last = all.get(all.size() - 1);
                    Path rw = store.mountContainer(last);
                    assertThat(Files.readString(rw.resolve("b"))).isEqualTo("image b");
                    assertThat(rw.resolve("f299")).exists();
                    store.unmountContainer(last);
                }
                for (Container c : all) {
                    store.removeContainer(c, false);
                }
                assertThat(store.createContainer("img", "after-" + trial).name()).isEqualTo("after-" + trial);
            }
        }
        assertThat(created).as("containers the children created").isGreaterThan(0);
    }

    /** The driver ids of layer records: what the driver holds once no container exists. */
    protected static Set<String> layerDriverIds(Store store) throws IOException {
        Set<String> ids = new HashSet<>();
        for (LayerRecord r : store.layers().list()) {
            ids.add(r.driverId());
        }
        return ids;
    }
}
