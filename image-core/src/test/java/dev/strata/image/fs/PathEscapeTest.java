package dev.strata.image.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.image.testing.Capabilities;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Escape attempts in the shape of containerd's TestBreakouts: one named case per trick, each run with openat2 +
 * fchmodat2 and again with the component walk + /proc chmod fallback, and after each a sentinel tree outside the
 * root must be byte-for-byte and inode-for-inode unchanged.
 */
class PathEscapeTest {
    private static final String PWN = "pwned-strata";

    /** The two implementations every case runs against. */
    enum Mode {
        OPENAT2_FCHMODAT2(true, true),
        WALK_PROC_CHMOD(false, false);

        final boolean openat2;
        final boolean fchmodat2;

        Mode(boolean openat2, boolean fchmodat2) {
            this.openat2 = openat2;
            this.fchmodat2 = fchmodat2;
        }

        RootedFs open(Path root) throws IOException {
            RootedFs fs = RootedFs.open(root, openat2, fchmodat2);
            if (openat2) {
                Capabilities.require(fs.usesOpenat2(), "kernel without openat2 (Linux 5.6+)");
            }
            assertThat(fs.usesOpenat2()).isEqualTo(openat2);
            return fs;
        }
    }

    /** What an attack case sees: the fs under test, the root on disk, and the absolute path of the sentinel. */
    record Ctx(RootedFs fs, Path root, String out) {
        Path inRoot(String rel) {
            return root.resolve(rel.startsWith("/") ? rel.substring(1) : rel);
        }
    }

    @FunctionalInterface
    interface Attack {
        void run(Ctx c) throws Exception;
    }

    record Case(String name, Attack attack) {
        @Override
        public String toString() {
            return name;
        }
    }

    @TempDir
    Path tmp;

    private Path root;
    private Path outside;

    @BeforeEach
    void layout() throws IOException {
        root = Files.createDirectory(tmp.resolve("root"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "do not touch");
        Files.createDirectories(outside.resolve("sub/deeper"));
        Files.writeString(outside.resolve("sub/inner"), "inner");
        Files.createSymbolicLink(outside.resolve("sub/link"), Path.of("../secret"));
        Files.createDirectory(outside.resolve("etc"));
    }

    static Stream<Arguments> cases() {
        List<Case> cases = List.of(
            new Case("dotdot in a name stays inside", c -> {
                c.fs().mkdirs("../../outside", 0755);
                write(c.fs(), "../outside/" + PWN);
                assertThat(c.inRoot("outside/" + PWN)).exists();
            }),
            new Case("absolute name is relative to the root", c -> {
                c.fs().mkdirs(c.out(), 0755);
                write(c.fs(), c.out() + "/" + PWN);
                assertThat(c.inRoot(c.out() + "/" + PWN)).exists();
            }),
            new Case("symlink to / then write through it", c -> {
                c.fs().symlink("evil", "/");
                c.fs().mkdirs("evil/etc", 0755);
                write(c.fs(), "evil/etc/" + PWN);
                assertThat(c.inRoot("etc/" + PWN)).exists();
            }),
            new Case("symlink to the absolute outside path", c -> {
                c.fs().symlink("evil", c.out());
                assertThatThrownBy(() -> write(c.fs(), "evil/" + PWN)).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().mkdirs("evil/new", 0755)).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().list("evil")).isInstanceOf(NoSuchFileException.class);
            }),
            new Case("relative symlink climbing to the sibling", c -> {
                c.fs().symlink("evil", "../outside");
                assertThatThrownBy(() -> write(c.fs(), "evil/" + PWN)).isInstanceOf(NoSuchFileException.class);
                c.fs().mkdir("outside", 0755);
                write(c.fs(), "evil/" + PWN);
                assertThat(c.inRoot("outside/" + PWN)).exists();
            }),
            new Case("relative symlink climbing from deep down", c -> {
                c.fs().mkdirs("a/b/c", 0755);
                c.fs().symlink("a/b/c/up", "../../../../../../../..");
                c.fs().mkdirs("a/b/c/up/" + PWN + "-dir", 0755);
                write(c.fs(), "a/b/c/up/" + PWN + "-dir/" + PWN);
                assertThat(c.inRoot(PWN + "-dir/" + PWN)).exists();
            }),
            new Case("dotdot in a link target clamps at the root", c -> {
                c.fs().symlink("up", "../../../..");
                write(c.fs(), "up/" + PWN);
                assertThat(c.inRoot(PWN)).exists();
            }),
            new Case("symlink chain a->b->c->outside", c -> {
                c.fs().symlink("a", "b");
                c.fs().symlink("b", "c");
                c.fs().symlink("c", "../outside");
                c.fs().symlink("a2", "b2");
                c.fs().symlink("b2", c.out());
                assertThatThrownBy(() -> write(c.fs(), "a/" + PWN)).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> write(c.fs(), "a2/" + PWN)).isInstanceOf(NoSuchFileException.class);
            }),
            new Case("symlink chain through directories", c -> {
                c.fs().mkdirs("d1", 0755);
                c.fs().mkdirs("d2", 0755);
                c.fs().symlink("x", "d1/l1");
                c.fs().symlink("d1/l1", "../d2/l2");
                c.fs().symlink("d2/l2", "/../../..");
                write(c.fs(), "x/" + PWN);
                assertThat(c.inRoot(PWN)).exists();
            }),
            new Case("symlink loop is ELOOP", c -> {
                c.fs().symlink("a", "b");
                c.fs().symlink("b", "a");
                c.fs().symlink("s", "./s/..");
                expectErrno(() -> write(c.fs(), "a/x"), "ELOOP");
                expectErrno(() -> c.fs().mkdirs("b/x/y", 0755), "ELOOP");
                expectErrno(() -> write(c.fs(), "s/x"), "ELOOP");
            }),
            new Case("40 symlinks resolve, 41 are ELOOP", c -> {
                c.fs().mkdir("target", 0755);
                for (int i = 0; i < 41; i++) {
                    c.fs().symlink("l" + i, i == 40 ? "target" : "l" + (i + 1));
                }
                write(c.fs(), "l1/ok"); // l1..l40: 40 links
                assertThat(c.inRoot("target/ok")).exists();
                expectErrno(() -> write(c.fs(), "l0/no"), "ELOOP");
            }),
            new Case("hardlink to an outside file by dotdot or absolute name", c -> {
                assertThatThrownBy(() -> c.fs().hardlink("h", "../outside/secret"))
                        .isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().hardlink("h", c.out() + "/secret"))
                        .isInstanceOf(NoSuchFileException.class);
            }),
            new Case("hardlink to an outside file via a symlinked parent", c -> {
                c.fs().symlink("evil", c.out());
                c.fs().symlink("evil2", "../outside");
                assertThatThrownBy(() -> c.fs().hardlink("h", "evil/secret")).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().hardlink("h", "evil2/secret")).isInstanceOf(NoSuchFileException.class);
                write(c.fs(), "f");
                assertThatThrownBy(() -> c.fs().hardlink("evil/h", "f")).isInstanceOf(NoSuchFileException.class);
            }),
            new Case("hardlink to a symlink pointing outside links the symlink", c -> {
                c.fs().symlink("l", c.out() + "/secret");
                c.fs().hardlink("h", "l");
                assertThat(c.fs().lstat("h").type()).isEqualTo(FileType.SYMLINK);
                assertThat(c.fs().readlink("h")).isEqualTo(c.out() + "/secret");
            }),
            new Case("chown of a symlink to outside changes the link", c -> {
                Capabilities.require(Capabilities.isRoot(), "chown needs root");
                c.fs().symlink("l", c.out() + "/secret");
                c.fs().chown("l", 4242, 4343);
                assertThat(c.fs().lstat("l").uid()).isEqualTo(4242);
                c.fs().symlink("evil", c.out());
                assertThatThrownBy(() -> c.fs().chown("evil/secret", 4242, 4242))
                        .isInstanceOf(NoSuchFileException.class);
            }),
            new Case("chmod of a symlink is refused, through a symlinked parent not found", c -> {
                c.fs().symlink("l", c.out() + "/secret");
                c.fs().symlink("l2", "../outside/secret");
                expectErrno(() -> c.fs().chmod("l", 0777), "EOPNOTSUPP");
                expectErrno(() -> c.fs().chmod("l2", 04777), "EOPNOTSUPP");
                c.fs().symlink("evil", "../outside");
                assertThatThrownBy(() -> c.fs().chmod("evil/secret", 0777)).isInstanceOf(NoSuchFileException.class);
            }),
            new Case("utimes of a symlink to outside changes the link", c -> {
                c.fs().symlink("l", c.out() + "/secret");
                c.fs().setTimes("l", Instant.EPOCH, Instant.EPOCH);
                assertThat(c.fs().lstat("l").mtime()).isEqualTo(Instant.EPOCH);
                c.fs().symlink("evil", c.out());
                assertThatThrownBy(() -> c.fs().setTimes("evil/secret", Instant.EPOCH, Instant.EPOCH))
                        .isInstanceOf(NoSuchFileException.class);
            }),
            new Case("setxattr on a symlink to outside sets it on the link", c -> {
                c.fs().symlink("evil", c.out());
                assertThatThrownBy(() -> c.fs().setXattr("evil/secret", "user.x", new byte[] {1}))
                        .isInstanceOf(NoSuchFileException.class);
                c.fs().symlink("l", c.out() + "/secret");
                // user.* is not allowed on symlinks: refused, never redirected to the target
                expectErrno(() -> c.fs().setXattr("l", "user.x", new byte[] {1}), "EPERM");
                Capabilities.require(Capabilities.isRoot(), "trusted.* xattrs need root");
                c.fs().setXattr("l", "trusted.x", new byte[] {1});
                assertThat(c.fs().listXattrs("l")).contains("trusted.x");
            }),
            new Case("removeAll of a directory holding symlinks to outside", c -> {
                c.fs().mkdirs("d/e", 0755);
                c.fs().symlink("d/abs", c.out());
                c.fs().symlink("d/rel", "../../outside");
                c.fs().symlink("d/e/secret", c.out() + "/secret");
                c.fs().symlink("d/e/root", "/");
                c.fs().removeAll("d");
                assertThat(c.inRoot("d")).doesNotExist();
            }),
            new Case("removeAll of a symlink to outside removes only the link", c -> {
                c.fs().symlink("evil", c.out());
                c.fs().removeAll("evil/sub"); // parent resolves in root to nothing: no-op
                assertThat(c.fs().exists("evil")).isTrue();
                c.fs().removeAll("evil");
                assertThat(c.fs().exists("evil")).isFalse();
            }),
            new Case("unlink, rmdir and mknod through a symlinked parent", c -> {
                c.fs().symlink("evil", c.out());
                assertThatThrownBy(() -> c.fs().unlink("evil/secret")).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().rmdir("evil/etc")).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().mknod("evil/" + PWN, FileType.FIFO, 0644, 0, 0))
                        .isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().symlink("evil/" + PWN, "/")).isInstanceOf(NoSuchFileException.class);
            }),
            new Case("rename across a symlinked parent", c -> {
                c.fs().symlink("evil", c.out());
                write(c.fs(), "f");
                assertThatThrownBy(() -> c.fs().rename("f", "evil/" + PWN)).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().rename("evil/secret", "stolen"))
                        .isInstanceOf(NoSuchFileException.class);
                c.fs().rename("evil", "evil2"); // the link itself moves
                assertThat(c.fs().readlink("evil2")).isEqualTo(c.out());
            }),
            new Case("createFile and openRead never follow a final symlink", c -> {
                c.fs().symlink("f", c.out() + "/secret");
                c.fs().symlink("g", "../outside/secret");
                assertThatThrownBy(() -> write(c.fs(), "f")).isInstanceOf(FileAlreadyExistsException.class);
                assertThatThrownBy(() -> write(c.fs(), "g")).isInstanceOf(FileAlreadyExistsException.class);
                expectErrno(() -> c.fs().openRead("f").close(), "ELOOP");
                assertThatThrownBy(() -> c.fs().mkdir("f", 0755)).isInstanceOf(FileAlreadyExistsException.class);
            }),
            new Case("ops onto a final symlink to outside replace or refuse, never write through", c -> {
                c.fs().symlink("l", c.out() + "/secret");
                c.fs().symlink("m", "../outside/secret");
                write(c.fs(), "f");
                assertThatThrownBy(() -> c.fs().hardlink("l", "f")).isInstanceOf(FileAlreadyExistsException.class);
                assertThatThrownBy(() -> c.fs().mknod("l", FileType.FIFO, 0644, 0, 0))
                        .isInstanceOf(FileAlreadyExistsException.class);
                assertThatThrownBy(() -> c.fs().symlink("l", "/x")).isInstanceOf(FileAlreadyExistsException.class);
                c.fs().rename("f", "l"); // replaces the link itself
                assertThat(c.fs().lstat("l").type()).isEqualTo(FileType.REGULAR);
                c.fs().unlink("m");
                assertThat(c.fs().exists("m")).isFalse();
            }),
            new Case("lstat and readlink through a symlinked parent", c -> {
                c.fs().symlink("evil", c.out());
                assertThatThrownBy(() -> c.fs().lstat("evil/secret")).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> c.fs().readlink("evil/sub/link")).isInstanceOf(NoSuchFileException.class);
                assertThat(c.fs().exists("evil/secret")).isFalse();
            }),
            new Case("magic-link-looking targets are plain in-root symlinks", c -> {
                c.fs().symlink("rootlink", "/proc/self/root");
                c.fs().symlink("fdlink", "/proc/self/fd/0");
                c.fs().symlink("cwdlink", "/proc/1/cwd");
                assertThatThrownBy(() -> write(c.fs(), "rootlink/" + PWN)).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> write(c.fs(), "fdlink/" + PWN)).isInstanceOf(NoSuchFileException.class);
                assertThatThrownBy(() -> write(c.fs(), "cwdlink" + c.out() + "/" + PWN))
                        .isInstanceOf(NoSuchFileException.class);
            }),
            new Case("real procfs inside the root: magic links are ELOOP", c -> {
                Capabilities.require(Capabilities.isRoot(), "mounting procfs needs root");
                c.fs().mkdir("proc", 0555);
                Path proc = c.inRoot("proc");
                Capabilities.require(run("mount", "-t", "proc", "proc", proc.toString()) == 0, "mount -t proc failed");
                try {
                    c.fs().symlink("m", "/proc/self/root");
                    c.fs().symlink("s", "/proc/self"); // self -> PID is an ordinary procfs link
                    expectErrno(() -> write(c.fs(), "proc/self/root" + c.out() + "/" + PWN), "ELOOP");
                    expectErrno(() -> write(c.fs(), "proc/self/cwd/" + PWN), "ELOOP");
                    expectErrno(() -> write(c.fs(), "proc/thread-self/root/" + PWN), "ELOOP");
                    expectErrno(() -> write(c.fs(), "m" + c.out() + "/" + PWN), "ELOOP");
                    expectErrno(() -> c.fs().mkdirs("s/root/tmp/" + PWN, 0755), "ELOOP");
                    expectErrno(() -> c.fs().setXattr("proc/self/root/" + PWN, "user.x", new byte[1]), "ELOOP");
                    assertThat(c.fs().lstat("s/status").type()).isEqualTo(FileType.REGULAR);
                } finally {
                    assertThat(run("umount", "-l", proc.toString())).isZero();
                }
            }));
        List<Arguments> args = new ArrayList<>();
        for (Mode m : Mode.values()) {
            for (Case c : cases) {
                args.add(Arguments.of(c, m));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("cases")
    void breakout(Case c, Mode mode) throws Exception {
        Map<String, String> before = snapshot();
        try (RootedFs fs = mode.open(root)) {
            c.attack().run(new Ctx(fs, root, outside.toString()));
        } finally {
            List<Path> planted = removePlantedAbove();
            assertThat(snapshot()).as("the sentinel outside the root after '%s'", c.name()).isEqualTo(before);
            assertThat(planted).as("objects planted outside the root").isEmpty();
        }
    }

    /**
     * One thread keeps swapping root/d between a real directory and symlinks that point outside, while another
     * creates files, directories and links under d. Nothing may ever appear outside the root.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void racingSymlinkSwapsNeverEscape(Mode mode) throws Exception {
        Map<String, String> before = snapshot();
        Path d = Files.createDirectory(root.resolve("d"));
        Path parked = root.resolve("d.real");
        String[] targets = {outside.toString(), "../outside", "../../../../../" + outside, "/"};
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> swapperFailure = new AtomicReference<>();
        Thread swapper = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    Files.move(d, parked);
                    Files.createSymbolicLink(d, Path.of(targets[i % targets.length]));
                    Thread.onSpinWait();
                    Files.delete(d);
                    Files.move(parked, d);
                    // leave the real directory in place for a moment: on 2 busy cores a swapper that never
                    // pauses can starve every operation of a real parent, and the race then tests nothing
                    LockSupport.parkNanos(20_000);
                }
            } catch (Throwable t) {
                swapperFailure.set(t);
            }
        }, "symlink-swapper");
        int landed = 0;
        try (RootedFs fs = mode.open(root)) {
            swapper.start();
            // 2000 operations, and more (up to 20,000) until one has found the real directory
            for (int i = 0; i < 2000 || (landed == 0 && i < 20_000); i++) {
                try {
                    switch (i % 4) {
                        case 0 -> write(fs, "d/" + PWN + i);
                        case 1 -> fs.mkdir("d/" + PWN + i, 0755);
                        case 2 -> fs.symlink("d/" + PWN + i, "/");
                        default -> fs.chmod("d/" + PWN + (i - 1), 0777);
                    }
                    landed++;
                } catch (IOException expected) {
                    // the parent was a symlink at that instant: resolves in the root to nothing or to the root
                }
            }
        } finally {
            stop.set(true);
            swapper.join();
            List<Path> planted = removePlantedAbove();
            assertThat(snapshot()).isEqualTo(before);
            assertThat(planted).as("objects planted outside the root").isEmpty();
        }
        assertThat(swapperFailure.get()).isNull();
        assertThat(landed).as("some operations found the real directory").isPositive();
        System.out.println("race " + mode + ": " + landed + " operations landed inside the root");
    }

    // ---------------------------------------------------------------- helpers

    private static void write(RootedFs fs, String path) throws IOException {
        try (OutputStream o = fs.createFile(path, 0644)) {
            o.write("pwned".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void expectErrno(Executable op, String errnoName) {
        assertThatThrownBy(op::execute).isInstanceOfSatisfying(RootedFsException.class,
                e -> assertThat(e.errnoName()).isEqualTo(errnoName));
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    /**
     * Every object the attacks create is named {@value #PWN}...; cases aimed at "/" would put them in the host's
     * /, /etc or /tmp if the resolver were broken. Such plants are removed and returned (for the caller to fail
     * on), so that a broken build fails loudly without leaving the machine dirty. Also checks that nothing was
     * created beside the root and the sentinel.
     */
    private List<Path> removePlantedAbove() throws IOException {
        List<Path> planted = new ArrayList<>();
        for (String dir : List.of("/", "/etc", "/tmp")) {
            try (Stream<Path> s = Files.list(Path.of(dir))) {
                s.filter(p -> p.getFileName().toString().startsWith(PWN)).forEach(planted::add);
            }
        }
        for (Path p : planted) {
            try (RootedFs parent = RootedFs.open(p.getParent())) {
                parent.removeAll(p.getFileName().toString());
            }
        }
        try (Stream<Path> s = Files.list(tmp)) {
            s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("root") && !n.equals("outside"))
                    .forEach(n -> planted.add(tmp.resolve(n)));
        }
        return planted;
    }

    /**
     * Every object under the sentinel with everything a write, chmod, chown, utimes, link or xattr call would
     * change: type, mode, owner, size, nlink, inode, mtime, ctime, xattr names, content hash or link target.
     */
    private Map<String, String> snapshot() throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<Path> walk = Files.walk(outside)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
                StringBuilder sb = new StringBuilder();
                for (String k : List.of("mode", "uid", "gid", "size", "nlink", "ino", "lastModifiedTime", "ctime")) {
                    sb.append(k).append('=').append(a.get(k)).append(' ');
                }
                sb.append("xattrs=").append(xattrNames(p)).append(' ');
                if (Files.isSymbolicLink(p)) {
                    sb.append("-> ").append(Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    sb.append("sha256=").append(sha256(Files.readAllBytes(p)));
                }
                out.put(outside.relativize(p).toString(), sb.toString());
            }
        }
        return out;
    }

    private static String xattrNames(Path p) {
        byte[] buf = new byte[4096];
        long n = Native.libc().llistxattr(Native.cstr(p.toString()), buf, buf.length);
        return n < 0 ? "?" + Errno.name(Native.errno()) : new String(buf, 0, (int) n, StandardCharsets.UTF_8)
                .replace('\0', ',');
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
