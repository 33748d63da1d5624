package dev.strata.image.content;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.fs.FileType;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.MediaType;
import dev.strata.image.model.Platform;
import dev.strata.image.store.Store;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 17 points 2 and 10: a layout another user can write to. Every entry the layout defines is planted as a
 * symlink to a directory or file outside, as a FIFO, or as a hard link, and reading or writing the layout must refuse
 * it by name ({@link InvalidImageException}: the layout does not have the shape it must have) without writing,
 * creating or reading anything outside, and without hanging. Read-only opens never create a layout.
 */
class HostileLayoutTest {
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);
    private static final byte[] BLOB = "a registry blob about to be written\n".getBytes(StandardCharsets.UTF_8);
    private static final Digest DIGEST = Digest.sha256(BLOB);

    @TempDir
    Path tmp;
    Path layout;
    Path outside;

    @BeforeEach
    void aLayoutAndCanariesOutsideIt() throws IOException {
        layout = tmp.resolve("layout");
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createDirectories(outside.resolve("elsewhere"));
        for (String name : List.of("victim", "index.json", "oci-layout")) {
            Path canary = Files.writeString(outside.resolve(name), "canary " + name + "\n");
            Files.setLastModifiedTime(canary, FileTime.fromMillis(1_000_000_000_000L)); // a change would show
        }
    }

    // ------------------------------------------------------------ planted symlinks

    /** Each entry of a layout, planted as a symlink to a directory or file outside. */
    static Stream<Arguments> plantedSymlinks() {
        String hex = DIGEST.encoded();
        return Stream.of(
                Arguments.of("ingest", "elsewhere"),
                Arguments.of("ingest/" + hex + ".part", "victim"),
                Arguments.of("ingest/" + hex + ".lock", "created-by-lock"),
                Arguments.of("blobs", "elsewhere"),
                Arguments.of("blobs/sha256", "elsewhere"),
                Arguments.of("blobs/sha256/" + hex, "victim"),
                Arguments.of("index.json", "index.json"),
                Arguments.of("index.json.lock", "created-by-lock"),
                Arguments.of("oci-layout", "oci-layout"));
    }

    @ParameterizedTest(name = "pull into a layout whose {0} is a symlink to outside/{1}")
    @MethodSource("plantedSymlinks")
    void aPlantedSymlinkIsRefusedByNameAndNothingOutsideIsWritten(String entry, String target) throws Exception {
        ContentStore before = ContentStore.open(layout); // the victim's layout, made before the plant
        Files.writeString(outside.resolve("index.json"), Files.readString(layout.resolve("index.json")));
        Files.setLastModifiedTime(outside.resolve("index.json"), FileTime.fromMillis(1_000_000_000_000L));
        plant(entry, outside.resolve(target));
        Map<String, String> outsideBefore = snapshot(outside);

        // A store opened before the plant (a pull under way) and one opened after it (a new pull). The first does
        // not look at oci-layout again, and needs not: it writes only inside the layout.
        Throwable duringPull = catchThrowable(() -> storeBlobAndTag(before));
        Throwable newPull = catchThrowable(() -> storeBlobAndTag(ContentStore.open(layout)));

        assertThat(snapshot(outside)).as("outside the layout").isEqualTo(outsideBefore);
        if (entry.equals("oci-layout")) {
            assertThat(duringPull).isNull();
        } else {
            assertRefusal(duringPull, entry);
        }
        assertRefusal(newPull, entry);
        assertThat(Files.isSymbolicLink(layout.resolve(entry))).as("the planted link is left as it is").isTrue();
    }

    @Test
    void aPartialFileHardLinkedFromOutsideIsNotWrittenTo() throws Exception {
        ContentStore store = ContentStore.open(layout);
        Files.createLink(layout.resolve("ingest/" + DIGEST.encoded() + ".part"), outside.resolve("victim"));
        Map<String, String> outsideBefore = snapshot(outside);

        Throwable refused = catchThrowable(() -> storeBlobAndTag(store));

        assertThat(snapshot(outside)).as("outside the layout").isEqualTo(outsideBefore);
        assertRefusal(refused, "hard links");
    }

    private static void storeBlobAndTag(ContentStore store) throws IOException {
        store.write(new java.io.ByteArrayInputStream(BLOB), DIGEST, BLOB.length);
        store.tag("app", new Descriptor(MediaType.OCI_MANIFEST, DIGEST, BLOB.length));
    }

    private void plant(String entry, Path target) throws IOException {
        Path link = layout.resolve(entry);
        if (Files.isDirectory(link, LinkOption.NOFOLLOW_LINKS)) {
            deleteTree(link);
        } else {
            Files.deleteIfExists(link);
        }
        Files.createSymbolicLink(link, target);
    }

    // ------------------------------------------------------------ FIFOs where files are expected (point 10)

    static Stream<Arguments> plantedFifos() {
        return Stream.of(
                Arguments.of("blob", (Reader) (dir, d) -> {
                    try (InputStream in = ContentStore.openReadOnly(dir).open(d, true)) {
                        in.readAllBytes();
                    }
                }),
                Arguments.of("blob", (Reader) (dir, d) -> ContentStore.open(dir).readSmall(d)),
                Arguments.of("index.json", (Reader) (dir, d) -> ContentStore.openReadOnly(dir)),
                Arguments.of("index.json", (Reader) (dir, d) -> ContentStore.open(dir)),
                Arguments.of("oci-layout", (Reader) (dir, d) -> ContentStore.openReadOnly(dir)),
                Arguments.of("index.json.lock", (Reader) (dir, d) -> ContentStore.open(dir).untag("app")),
                Arguments.of("part", (Reader) (dir, d) -> storeBlobAndTag(ContentStore.open(dir))));
    }

    @FunctionalInterface
    interface Reader {
        void read(Path layout, Digest digest) throws IOException;
    }

    @ParameterizedTest(name = "a FIFO as the layout''s {0} fails fast (case {index})")
    @MethodSource("plantedFifos")
    void aFifoWhereAFileIsExpectedFailsFastInsteadOfHanging(String what, Reader reader) throws Exception {
        ImageManifest m = TestImages.write(ContentStore.open(layout), List.of(new TarBuilder().file("a", "1").end()
                .bytes()));
        Digest target = m.config().digest();
        String entry = switch (what) {
            case "blob" -> "blobs/sha256/" + target.encoded();
            case "part" -> "ingest/" + DIGEST.encoded() + ".part";
            default -> what;
        };
        Files.deleteIfExists(layout.resolve(entry));
        try (RootedFs fs = RootedFs.open(layout)) {
            fs.mknod(entry, FileType.FIFO, 0644, 0, 0);
        }
        Map<String, String> outsideBefore = snapshot(outside);

        Throwable refused = assertTimeoutPreemptively(HANG_GUARD, () -> catchThrowable(() -> reader.read(layout,
                target)));

        assertThat(snapshot(outside)).as("outside the layout").isEqualTo(outsideBefore);
        assertRefusal(refused, entry + " is a FIFO");
    }

    // ------------------------------------------------------------ read-only opens create nothing

    static Stream<Arguments> notLayouts() {
        return Stream.of(Arguments.of("an empty directory", List.of()),
                Arguments.of("a directory of other files", List.of("README", "rootfs/")),
                Arguments.of("a directory with blobs/ but no oci-layout", List.of("blobs/", "index.json")));
    }

    @ParameterizedTest(name = "inspect, unpack and import of {0} create nothing")
    @MethodSource("notLayouts")
    void aReadOnlyOpenOfADirectoryWithoutOciLayoutCreatesNothing(String what, List<String> entries)
            throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("not-a-layout"));
        for (String e : entries) {
            if (e.endsWith("/")) {
                Files.createDirectories(dir.resolve(e));
            } else {
                Files.writeString(dir.resolve(e), "x");
            }
        }
        Map<String, String> before = snapshot(dir);

        assertThatThrownBy(() -> ContentStore.openReadOnly(dir)).isInstanceOf(NotFoundException.class)
                .hasMessage("not an OCI layout: " + dir + " has no oci-layout file");

        assertThat(snapshot(dir)).isEqualTo(before);
    }

    @Test
    void aReadOnlyOpenOfAMissingDirectoryCreatesNothing() {
        Path missing = tmp.resolve("missing/layout");
        assertThatThrownBy(() -> ContentStore.openReadOnly(missing)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("does not exist");
        assertThat(tmp.resolve("missing")).doesNotExist();
    }

    @Test
    void inspectOfALayoutWhoseBlobsPointElsewhereCreatesNothingThere() throws Exception {
        ImageManifest m = TestImages.write(ContentStore.open(layout), List.of(new TarBuilder().file("a", "1").end()
                .bytes()));
        ContentStore.open(layout).tag("app", m.descriptor());
        plant("blobs", outside.resolve("elsewhere"));
        Map<String, String> outsideBefore = snapshot(outside);
        Map<String, String> layoutBefore = snapshot(layout);

        ContentStore readOnly = ContentStore.openReadOnly(layout); // index.json alone is fine
        Throwable inspect = catchThrowable(() -> Store.resolveManifest(readOnly, "app", Platform.host()));
        Throwable open = catchThrowable(() -> ContentStore.open(layout)); // the old inspect made elsewhere/sha256/

        assertThat(snapshot(outside)).as("outside the layout").isEqualTo(outsideBefore);
        assertThat(snapshot(layout)).isEqualTo(layoutBefore);
        assertRefusal(inspect, "blobs is a symbolic link");
        assertRefusal(open, "blobs is a symbolic link");
    }

    @Test
    void aReadOnlyLayoutReadsButRefusesEveryWriteAndTakesNoLock() throws Exception {
        ImageManifest m = TestImages.write(ContentStore.open(layout), List.of(new TarBuilder().file("a", "1").end()
                .bytes()));
        ContentStore.open(layout).tag("app", m.descriptor());
        Files.delete(layout.resolve("index.json.lock"));
        deleteTree(layout.resolve("ingest"));
        Map<String, String> before = snapshot(layout);

        ContentStore readOnly = ContentStore.openReadOnly(layout);
        assertThat(readOnly.isReadOnly()).isTrue();
        assertThat(Store.resolveManifest(readOnly, "app", Platform.host()).digest()).isEqualTo(m.digest());
        assertThat(readOnly.readSmall(m.config().digest())).isNotEmpty();
        for (Executable write : List.<Executable>of(() -> readOnly.put(BLOB), () -> readOnly.untag("app"),
                () -> readOnly.tag("b", m.descriptor()), () -> readOnly.delete(m.digest()), readOnly::gc)) {
            org.junit.jupiter.api.Assertions.assertThrows(FailedPreconditionException.class, write);
        }

        assertThat(snapshot(layout)).isEqualTo(before);
    }

    // ------------------------------------------------------------ helpers

    private static void assertRefusal(Throwable thrown, String named) {
        assertThat(thrown).isInstanceOf(InvalidImageException.class).hasMessageContaining(named);
    }

    /** Every entry below {@code dir}, not following symlinks: type, mode, size, content, mtime. */
    static Map<String, String> snapshot(Path dir) throws IOException {
        return TreeSnapshot.describe(dir, TreeSnapshot.Options.FULL);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
