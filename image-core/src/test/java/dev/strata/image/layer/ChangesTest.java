package dev.strata.image.layer;

import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import static dev.strata.image.layer.TreeFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Changes.between: the A/C/D list of a tree-vs-tree walk, case by case, with podman diff's semantics. */
class ChangesTest {

    @TempDir
    Path tmp;

    /** A named mutation of upper (lower given for copying mtimes back) and the listing podman diff would print. */
    static Stream<Arguments> cases() {
        return Stream.of(
                tc("identical trees", (l, u) -> { }),
                tc("add file", (l, u) -> file(u, "etc/new", "x"), "C /etc", "A /etc/new"),
                tc("modify content, same size, new mtime", (l, u) -> {
                    file(u, "etc/hosts", "127.0.0.2 localhost\n");
                }, "C /etc", "C /etc/hosts"),
                tc("content change hidden by a restored mtime is not seen (size+mtime rule, documented)", (l, u) -> {
                    file(u, "etc/hosts", "127.0.0.2 localhost\n");
                    copyMtime(l, u, "etc/hosts");
                }),
                tc("size change with restored mtime", (l, u) -> {
                    file(u, "etc/hosts", "127.0.0.1 localhost other\n");
                    copyMtime(l, u, "etc/hosts");
                }, "C /etc", "C /etc/hosts"),
                tc("mode only", (l, u) -> sh(u, "chmod", "0600", "etc/passwd"), "C /etc", "C /etc/passwd"),
                tc("setuid bit only", (l, u) -> sh(u, "chmod", "4644", "bin/sh"), "C /bin", "C /bin/sh"),
                tc("sticky bit on a directory", (l, u) -> sh(u, "chmod", "1755", "empty"), "C /empty"),
                tc("mtime of a directory only", (l, u) -> setMtime(u.resolve("empty"), T0.plusNanos(1000)),
                        "C /empty"),
                tc("symlink retarget, same length and mtime", (l, u) -> {
                    delete(u, "bin/link");
                    symlink(u, "bin/link", "zz");
                    copyMtime(l, u, "bin/link");
                    copyMtime(l, u, "bin");
                }, "C /bin", "C /bin/link"),
                tc("file becomes directory", (l, u) -> {
                    delete(u, "etc/hosts");
                    file(u, "etc/hosts/x", "x");
                }, "C /etc", "C /etc/hosts", "A /etc/hosts/x"),
                tc("directory becomes file: one entry replaces the subtree", (l, u) -> {
                    delete(u, "var/lib/data");
                    file(u, "var/lib/data", "now a file");
                }, "C /var", "C /var/lib", "C /var/lib/data"),
                tc("delete file", (l, u) -> delete(u, "etc/hosts"), "C /etc", "D /etc/hosts"),
                tc("delete directory with children: listed once", (l, u) -> delete(u, "var/lib/data"),
                        "C /var", "C /var/lib", "D /var/lib/data"),
                tc("add directory with children: all listed", (l, u) -> {
                    file(u, "opt/app/sub/f", "f");
                    file(u, "opt/app/x", "x");
                }, "A /opt", "A /opt/app", "A /opt/app/sub", "A /opt/app/sub/f", "A /opt/app/x"),
                tc("nested change marks every parent modified", (l, u) -> file(u, "var/lib/data/a", "AAAA"),
                        "C /var", "C /var/lib", "C /var/lib/data", "C /var/lib/data/a"),
                tc("user xattr added", (l, u) -> userXattr(u.resolve("etc/passwd"), "foo", "bar"),
                        "C /etc", "C /etc/passwd"),
                tc("user xattr value changed", (l, u) -> {
                    userXattr(l.resolve("etc/passwd"), "foo", "bar");
                    userXattr(u.resolve("etc/passwd"), "foo", "baz");
                }, "C /etc", "C /etc/passwd"),
                tc("overlay xattrs are host bookkeeping, not content", (l, u) ->
                        userXattr(u.resolve("empty"), "overlay.opaque", "y")),
                tc("hardlink added: the new name is added, the old one untouched", (l, u) ->
                        hardlink(u, "bin/sh2", "bin/sh"), "C /bin", "A /bin/sh2"),
                tc("tree order: a directory's children before a sibling that sorts after its name", (l, u) -> {
                    file(u, "etc/a/x", "x");
                    file(u, "etc/a-b", "y");
                }, "C /etc", "A /etc/a", "A /etc/a/x", "A /etc/a-b"),
                tc("fifo added", (l, u) -> sh(u, "mkfifo", "etc/fifo"), "C /etc", "A /etc/fifo"));
    }

    private static Arguments tc(String name, BiConsumer<Path, Path> mutate, String... expected) {
        return Arguments.of(name, mutate, List.of(expected));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void listsChangesLikePodmanDiff(String name, BiConsumer<Path, Path> mutate, List<String> expected)
            throws IOException {
        Path lower = tmp.resolve("lower");
        Path upper = tmp.resolve("upper");
        base(lower);
        base(upper);
        mutate.accept(lower, upper);
        assertThat(listing(Changes.between(lower, upper))).containsExactlyElementsOf(expected);
    }

    @Test
    void ownerAndGroupChangesAreModifications() throws IOException {
        Capabilities.requireRoot();
        Path lower = tmp.resolve("lower");
        Path upper = tmp.resolve("upper");
        base(lower);
        base(upper);
        sh(upper, "chown", "1000", "etc/passwd");
        sh(upper, "chown", "-h", ":2000", "bin/link");
        assertThat(listing(Changes.between(lower, upper)))
                .containsExactly("C /bin", "C /bin/link", "C /etc", "C /etc/passwd");
    }

    @Test
    void deviceNumberChangeIsAModification() throws IOException {
        Capabilities.requireRoot();
        Path lower = tmp.resolve("lower");
        Path upper = tmp.resolve("upper");
        for (Path root : List.of(lower, upper)) {
            base(root);
            dir(root, "dev");
            sh(root, "mknod", "dev/null", "c", "1", "3");
            sh(root, "mknod", "dev/loop", "b", "7", "0");
            setAllMtimes(root, T0);
        }
        assertThat(Changes.between(lower, upper)).isEmpty();
        delete(upper, "dev/null");
        sh(upper, "mknod", "dev/null", "c", "1", "5");
        copyMtime(lower, upper, "dev/null");
        copyMtime(lower, upper, "dev");
        assertThat(listing(Changes.between(lower, upper))).containsExactly("C /dev", "C /dev/null");
    }

    @Test
    void sameInodeOnBothSidesIsEqualWithoutComparing() throws IOException {
        Path lower = tmp.resolve("lower");
        Path upper = tmp.resolve("upper");
        base(lower);
        base(upper);
        // Shared inode: the file is the same object, whatever its attributes say.
        delete(upper, "etc/passwd");
        Files.createLink(upper.resolve("etc/passwd"), lower.resolve("etc/passwd"));
        copyMtime(lower, upper, "etc");
        assertThat(Changes.between(lower, upper)).isEmpty();
        assertThat(Changes.between(lower, lower)).isEmpty();
    }

    @Test
    void rootMetadataIsNeverListed() throws IOException {
        Path lower = tmp.resolve("lower");
        Path upper = tmp.resolve("upper");
        base(lower);
        base(upper);
        sh(tmp, "chmod", "0700", "upper");
        assertThat(Changes.between(lower, upper)).isEmpty();
    }

    @Test
    void refusesNonDirectories() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("d"));
        Path file = Files.writeString(tmp.resolve("f"), "x");
        assertThrows(IOException.class, () -> Changes.between(dir, file));
        assertThrows(IOException.class, () -> Changes.between(tmp.resolve("missing"), dir));
    }
}
