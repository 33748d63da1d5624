package dev.strata.image.layer;

import dev.strata.image.digest.Digest;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import dev.strata.image.testing.TreeSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Correctness oracle: a two-layer image made by umoci from real files of this machine (plus setuid, sticky, 0555,
 * hardlinks, symlinks, fifo, devices, xattrs, capabilities, UTF-8 names) and then changed (deletions, type changes,
 * an emptied and refilled directory, chmod/chown), unpacked by umoci and applied by {@link LayerApplier}: the two
 * trees must agree entry by entry, and every DiffID must match the config.
 */
class UmociOracleTest {
    /** Real content copied from the host; those that exist are used (together some 30 MB on Debian). */
    private static final List<String> HOST_DIRS = List.of("/etc", "/usr/lib/x86_64-linux-gnu/gconv",
            "/usr/share/perl", "/usr/share/doc/bash", "/usr/share/doc/base-files");
    /** An mtime no file of the host has: what every directory changed for layer 2 is set to. */
    private static final Instant LAYER2_DIR_TIME = Instant.parse("2021-06-07T08:09:10Z");
    private static final byte[] NET_RAW_CAP = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    @TempDir
    Path tmp;

    @Test
    @Timeout(120)
    void strataAppliesUmociLayersExactlyAsUmociUnpacks() throws IOException {
        Capabilities.requireRoot();
        Capabilities.requireTool("umoci");
        Instant start = Instant.now().minusSeconds(2);
        Path layout = tmp.resolve("L");
        Path bundle = tmp.resolve("B");
        Path rootfs = bundle.resolve("rootfs");
        umoci("init", "--layout", layout.toString());
        umoci("new", "--image", layout + ":t");
        umoci("unpack", "--image", layout + ":t", bundle.toString());

        buildBaseRootfs(rootfs);
        umoci("repack", "--refresh-bundle", "--image", layout + ":t", bundle.toString());
        changeForSecondLayer(rootfs);
        umoci("repack", "--image", layout + ":t", bundle.toString());

        Path unpacked = tmp.resolve("U");
        umoci("unpack", "--image", layout + ":t", unpacked.toString());
        Path oracle = unpacked.resolve("rootfs");

        // Our side: every layer of the manifest, in order, onto an empty directory (delete form).
        ImageIndex index = Manifests.parseIndex(Files.readAllBytes(layout.resolve("index.json")), null);
        ImageManifest manifest = Manifests.parseManifest(blob(layout, index.manifests().get(0).digest()), null);
        ImageConfig config = Manifests.parseConfig(blob(layout, manifest.config().digest()));
        assertThat(manifest.layers()).hasSize(2);
        assertThat(config.diffIds()).hasSize(2);
        Path ours = Files.createDirectory(tmp.resolve("S"));
        Files.setPosixFilePermissions(ours, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            ApplyResult r;
            try (InputStream in = Files.newInputStream(blobPath(layout, layer.digest()))) {
                r = new LayerApplier().apply(in, ours);
            }
            assertThat(r.digest()).as("layer %d digest", i).isEqualTo(layer.digest());
            assertThat(r.size()).as("layer %d size", i).isEqualTo(layer.size());
            assertThat(r.diffId()).as("layer %d diffId", i).isEqualTo(config.diffIds().get(i));
            assertThat(r.compression()).isEqualTo(Compression.GZIP);
            assertThat(r.warnings()).isEmpty();
        }

        // Entry by entry. Directory mtimes: umoci restores those the layers carry (it defers them to the end,
        // like us), but a directory that a layer changes without a header of its own keeps the unpack time on
        // both sides. So a directory whose oracle mtime predates the test must match exactly; one stamped during
        // the test is only required to be recent on our side too.
        Map<String, String> expected = withoutRecentDirMtimes(TreeSnapshot.describe(oracle,
                TreeSnapshot.Options.FULL), start);
        Map<String, String> actual = withoutRecentDirMtimes(TreeSnapshot.describe(ours,
                TreeSnapshot.Options.FULL), start);
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        List<String> differences = new ArrayList<>();
        for (String path : expected.keySet()) {
            if (!expected.get(path).equals(actual.get(path))) {
                differences.add(path + "\n   umoci:  " + expected.get(path) + "\n   strata: " + actual.get(path));
            }
        }
        assertThat(differences).as("entries that differ").isEmpty();
        assertThat(expected.size()).as("a real tree").isGreaterThan(1000);
        assertThat(expected.values().stream().filter(v -> v.startsWith("dir ")
                && !v.contains("(during the test)")))
                .as("directories whose mtime is compared exactly").hasSizeGreaterThan(50);
        assertThat(mode(ours)).isEqualTo(mode(oracle));

        // The special entries really are there (so the comparison above covered them).
        assertThat(actual.get("special/su")).startsWith("file mode=4755 owner=0:0");
        assertThat(actual.get("special/sgid")).startsWith("file mode=2750 owner=1000:1001");
        assertThat(actual.get("special/sticky")).startsWith("dir mode=1777");
        assertThat(actual.get("special/ro")).startsWith("dir mode=555");
        assertThat(actual.get("special/hl-b")).contains("link-group=special/hl-a");
        assertThat(actual.get("special/other/hl-c")).contains("link-group=special/hl-a");
        assertThat(actual.get("special/abs")).isEqualTo(expected.get("special/abs")).contains("target=/etc/passwd");
        assertThat(actual.get("special/dangling")).contains("target=../nowhere/at/all");
        assertThat(actual.get("special/fifo")).startsWith("fifo mode=640");
        assertThat(actual.get("special/null")).startsWith("char mode=666").contains("dev=1,3");
        assertThat(actual.get("special/loop9")).startsWith("block mode=660").contains("dev=7,9");
        assertThat(actual.get("special/noted")).contains("xattr:user.note=" + hex("kept"));
        assertThat(actual.get("special/ünïcødé/файл-名前.txt")).startsWith("file");
        assertThat(actual.get("special/nanos")).contains("mtime=2022-02-03T04:05:06Z"); // tar keeps seconds
        // Layer 2's changes.
        assertThat(actual).doesNotContainKeys("special/gone", "special/gone-dir", "special/gone-dir/inner",
                "special/opaque/old1", "special/opaque/sub");
        assertThat(actual.get("special/dir-to-file")).startsWith("file");
        assertThat(actual.get("special/file-to-dir")).startsWith("dir");
        assertThat(actual.get("special/opaque/new1")).startsWith("file");
        assertThat(actual.get("special/chowned")).contains("owner=1234:5678");
        assertThat(actual.get("special/chmodded")).startsWith("file mode=600");
        try (RootedFs a = RootedFs.open(ours); RootedFs b = RootedFs.open(oracle)) {
            for (String p : List.of("special/ping", "special/other/ping-link")) {
                byte[] theirs = b.getXattr(p, "security.capability").orElseThrow();
                assertThat(a.getXattr(p, "security.capability")).as(p).hasValueSatisfying(
                        v -> assertThat(v).isEqualTo(theirs).isEqualTo(NET_RAW_CAP));
            }
        }
    }

    private void buildBaseRootfs(Path rootfs) throws IOException {
        int copied = 0;
        for (String d : HOST_DIRS) {
            if (Files.isDirectory(Path.of(d))) {
                Path parent = Files.createDirectories(rootfs.resolve(Path.of(d).getParent().toString().substring(1)));
                Proc.ok(null, "cp", "-a", d, parent.toString());
                copied++;
            }
        }
        assertThat(copied).as("host directories copied").isGreaterThan(2);

        Path s = Files.createDirectories(rootfs.resolve("special"));
        Path su = Files.copy(Path.of("/bin/true"), s.resolve("su"));
        Proc.ok(null, "chmod", "4755", su.toString());
        Files.writeString(s.resolve("sgid"), "setgid");
        Proc.ok(null, "chown", "1000:1001", s.resolve("sgid").toString());
        Proc.ok(null, "chmod", "2750", s.resolve("sgid").toString());
        Files.createDirectory(s.resolve("sticky"));
        Files.writeString(s.resolve("sticky/f"), "x");
        Proc.ok(null, "chmod", "1777", s.resolve("sticky").toString());
        Files.createDirectory(s.resolve("ro"));
        Files.writeString(s.resolve("ro/a"), "a");
        Files.writeString(s.resolve("ro/b"), "b");
        Proc.ok(null, "chmod", "0555", s.resolve("ro").toString());
        Files.writeString(s.resolve("hl-a"), "shared inode");
        Files.createLink(s.resolve("hl-b"), s.resolve("hl-a"));
        Files.createDirectory(s.resolve("other"));
        Files.createLink(s.resolve("other/hl-c"), s.resolve("hl-a"));
        Files.createSymbolicLink(s.resolve("abs"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(s.resolve("rel"), Path.of("../etc/hosts"));
        Files.createSymbolicLink(s.resolve("dangling"), Path.of("../nowhere/at/all"));
        Proc.ok(null, "mkfifo", "-m", "0640", s.resolve("fifo").toString());
        Proc.ok(null, "mknod", "-m", "0666", s.resolve("null").toString(), "c", "1", "3");
        Proc.ok(null, "mknod", "-m", "0660", s.resolve("loop9").toString(), "b", "7", "9");
        Files.writeString(s.resolve("noted"), "has a user xattr");
        Files.getFileAttributeView(s.resolve("noted"), UserDefinedFileAttributeView.class)
                .write("note", StandardCharsets.UTF_8.encode("kept"));
        Path ping = Files.copy(Path.of("/bin/true"), s.resolve("ping"));
        setCapability(rootfs, "special/ping");
        Files.createLink(s.resolve("other/ping-link"), ping);
        Files.createDirectories(s.resolve("ünïcødé"));
        Files.writeString(s.resolve("ünïcødé/файл-名前.txt"), "utf-8 name");
        Files.writeString(s.resolve("nanos"), "mtime with nanoseconds");
        Files.setLastModifiedTime(s.resolve("nanos"), FileTime.from(Instant.parse("2022-02-03T04:05:06.123456789Z")));
        for (String name : List.of("gone", "chowned", "chmodded", "file-to-dir")) {
            Files.writeString(s.resolve(name), name);
        }
        Files.createDirectories(s.resolve("gone-dir/sub"));
        Files.writeString(s.resolve("gone-dir/inner"), "x");
        Files.createDirectories(s.resolve("dir-to-file/sub"));
        Files.writeString(s.resolve("dir-to-file/sub/f"), "x");
        Files.createDirectories(s.resolve("opaque/sub"));
        Files.writeString(s.resolve("opaque/old1"), "old");
        Files.writeString(s.resolve("opaque/sub/old2"), "old");
    }

    private static void setCapability(Path rootfs, String path) throws IOException {
        if (Capabilities.hasTool("setcap")) {
            Proc.ok(null, "setcap", "cap_net_raw+ep", rootfs.resolve(path).toString());
        } else {
            try (RootedFs fs = RootedFs.open(rootfs)) {
                fs.setXattr(path, "security.capability", NET_RAW_CAP);
            }
        }
    }

    /** Deletions, type changes, an emptied and refilled directory, mode and owner changes, host files removed. */
    private void changeForSecondLayer(Path rootfs) throws IOException {
        Path s = rootfs.resolve("special");
        Files.delete(s.resolve("gone"));
        Proc.ok(null, "rm", "-rf", s.resolve("gone-dir").toString());
        Proc.ok(null, "rm", "-rf", s.resolve("dir-to-file").toString());
        Files.writeString(s.resolve("dir-to-file"), "was a directory");
        Files.delete(s.resolve("file-to-dir"));
        Files.createDirectories(s.resolve("file-to-dir/inside"));
        Files.writeString(s.resolve("file-to-dir/inside/f"), "was a file");
        Proc.ok(null, "rm", "-rf", s.resolve("opaque/old1").toString(), s.resolve("opaque/sub").toString());
        Files.writeString(s.resolve("opaque/new1"), "new");
        Files.createDirectories(s.resolve("opaque/newsub"));
        Proc.ok(null, "chown", "1234:5678", s.resolve("chowned").toString());
        Proc.ok(null, "chmod", "0600", s.resolve("chmodded").toString());
        Proc.ok(null, "chmod", "0700", s.resolve("other").toString());
        Files.delete(s.resolve("rel"));
        Files.createSymbolicLink(s.resolve("rel"), Path.of("../etc/hostname"));
        // Some real host content goes too: a file, a directory tree, and a whole directory replaced by a file.
        Proc.ok(null, "rm", "-rf", rootfs.resolve("etc/hostname").toString());
        try (Stream<Path> dirs = Files.list(rootfs.resolve("etc"))) {
            List<Path> subdirs = dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted()
                    .limit(3).toList();
            Proc.ok(null, "rm", "-rf", subdirs.get(0).toString(), subdirs.get(1).toString());
            Proc.ok(null, "rm", "-rf", subdirs.get(2).toString());
            Files.writeString(subdirs.get(2), "replaced a directory");
        }
        // Directories changed above get one fixed, old mtime, so the layer carries it and both sides must set it.
        Proc.ok(null, "find", rootfs.toString(), "-type", "d", "-newer", s.resolve("noted").toString(),
                "-exec", "touch", "-h", "-d", "@" + LAYER2_DIR_TIME.getEpochSecond(), "{}", "+");
    }

    private static Map<String, String> withoutRecentDirMtimes(Map<String, String> described, Instant start) {
        Map<String, String> out = new TreeMap<>();
        described.forEach((path, line) -> {
            int at = line.indexOf(" mtime=");
            if (line.startsWith("dir ") && at >= 0) {
                Instant t = Instant.parse(line.substring(at + " mtime=".length()).split(" ")[0]);
                if (!t.isBefore(start)) {
                    line = line.substring(0, at) + " mtime=(during the test)";
                }
            }
            out.put(path, line);
        });
        return out;
    }

    private static void umoci(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "umoci";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Proc.ok(null, cmd);
    }

    private static Path blobPath(Path layout, Digest d) {
        return layout.resolve("blobs").resolve(d.algorithm().ociName()).resolve(d.encoded());
    }

    private static byte[] blob(Path layout, Digest d) throws IOException {
        return Files.readAllBytes(blobPath(layout, d));
    }

    private static int mode(Path p) throws IOException {
        return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
    }

    private static String hex(String s) {
        return java.util.HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }
}
