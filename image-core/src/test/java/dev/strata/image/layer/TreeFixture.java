package dev.strata.image.layer;

import dev.strata.image.testing.Proc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Builds small real directory trees for the diff tests, with exact mtimes so two builds compare equal. */
final class TreeFixture {
    /** The mtime every base node gets; whole microseconds because NIO sets symlink times with lutimes. */
    static final Instant T0 = Instant.ofEpochSecond(1_600_000_000L, 123_456_000);

    private TreeFixture() {
    }

    /** The tree every {@link ChangesTest} case starts from, in both lower and upper. */
    static void base(Path root) {
        dir(root, "etc");
        file(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        file(root, "etc/hosts", "127.0.0.1 localhost\n");
        dir(root, "bin");
        file(root, "bin/sh", "#!shell\n");
        symlink(root, "bin/link", "sh");
        dir(root, "var/lib/data");
        file(root, "var/lib/data/a", "aaaa");
        file(root, "var/lib/data/b", "bbbb");
        dir(root, "empty");
        setAllMtimes(root, T0);
    }

    static void dir(Path root, String rel) {
        try {
            Files.createDirectories(root.resolve(rel));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void file(Path root, String rel, String content) {
        try {
            Path p = root.resolve(rel);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void symlink(Path root, String rel, String target) {
        try {
            Files.createSymbolicLink(root.resolve(rel), Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void hardlink(Path root, String rel, String existing) {
        try {
            Files.createLink(root.resolve(rel), root.resolve(existing));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path root, String rel) {
        Path p = root.resolve(rel);
        try (Stream<Path> s = Files.walk(p)) {
            List<Path> all = new ArrayList<>(s.toList());
            all.sort(Comparator.reverseOrder());
            for (Path x : all) {
                Files.delete(x);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void setMtime(Path p, Instant t) {
        try {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                    && !Files.isSymbolicLink(p)) {
                // NIO opens the file to set its times, which blocks on a FIFO; touch uses utimensat.
                sh(p.getParent(), "touch", "-h", "-d", "@" + t.getEpochSecond() + "." + String.format("%09d", t.getNano()), p.getFileName().toString());
                return;
            }
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(t), null, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Instant mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Gives {@code upper/rel} the mtime of {@code lower/rel}, to isolate the one attribute a case changes. */
    static void copyMtime(Path lower, Path upper, String rel) {
        setMtime(upper.resolve(rel), mtime(lower.resolve(rel)));
    }

    /** Sets every mtime in the tree, deepest first so setting a child does not disturb its parent afterwards. */
    static void setAllMtimes(Path root, Instant t) {
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> all = new ArrayList<>(s.toList());
            all.sort(Comparator.comparingInt(Path::getNameCount).reversed());
            for (Path p : all) {
                setMtime(p, t);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void userXattr(Path p, String name, String value) {
        try {
            Files.getFileAttributeView(p, UserDefinedFileAttributeView.class)
                    .write(name, java.nio.ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a shell tool in {@code dir} (chmod, chown -h, mknod, mkfifo) and fails the test if it fails. */
    static void sh(Path dir, String... command) {
        Proc.ok(dir, command);
    }

    /** The change list as {@code podman diff} prints it. */
    static List<String> listing(List<Change> changes) {
        return changes.stream().map(Change::toString).toList();
    }
}
