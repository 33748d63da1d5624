package dev.strata.image.layer;

import dev.strata.image.testing.Proc;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import dev.strata.image.fs.FileStat;
import dev.strata.image.fs.FileType;
import dev.strata.image.fs.RootedTreeReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static dev.strata.image.layer.TreeFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property test over seeded random trees: Changes.between agrees with a set-based oracle computed from snapshots of
 * both trees, and the written layer applied (by LayerApplier) onto a copy of lower reproduces upper exactly.
 */
class RandomTreeDiffTest {
    private static final String[] NAMES = {"a", "b", "a-b", "a.b", "z", "ü", "B", "a b"};
    private static final int[] MODES = {0644, 0600, 0755, 04755, 02755, 0700};

    @TempDir
    Path tmp;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 20);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void diffMatchesTheOracleAndTheLayerReproducesUpper(long seed) throws IOException {
        Random r = new Random(seed);
        Path lower = tmp.resolve("lower");
        Path upper = tmp.resolve("upper");
        Path applied = tmp.resolve("applied");
        Files.createDirectories(lower);
        populate(r, lower, lower, 0);
        setAllMtimes(lower, T0);
        Proc.ok(tmp, "cp", "-a", "lower", "upper");
        Proc.ok(tmp, "cp", "-a", "lower", "applied");
        int ops = 1 + r.nextInt(10);
        for (int i = 0; i < ops; i++) {
            mutate(r, upper, i);
        }

        List<Change> changes = Changes.between(lower, upper);
        assertThat(listing(changes)).as("seed %d", seed).containsExactlyElementsOf(oracle(lower, upper));

        Compression c = Compression.values()[r.nextInt(Compression.values().length)];
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        LayerWriteResult written = new LayerWriter(LayerWriterOptions.of(c)).write(upper, changes, blob);
        ApplyResult result = new LayerApplier().apply(new ByteArrayInputStream(blob.toByteArray()), applied);
        assertThat(result.diffId()).isEqualTo(written.diffId());
        assertThat(listing(Changes.between(applied, upper))).as("seed %d: applied vs upper", seed).isEmpty();
    }

    private static void populate(Random r, Path root, Path dir, int depth) throws IOException {
        int n = r.nextInt(depth == 0 ? 7 : 5);
        for (int i = 0; i < n; i++) {
            Path p = dir.resolve(NAMES[r.nextInt(NAMES.length)]);
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            int kind = r.nextInt(10);
            if (kind < 3 && depth < 3) {
                Files.createDirectory(p);
                populate(r, root, p, depth + 1);
            } else if (kind < 8) {
                writeRandomFile(r, p);
            } else if (kind < 9) {
                Files.createSymbolicLink(p, Path.of(NAMES[r.nextInt(NAMES.length)]));
            } else {
                List<Path> files = regularFiles(root);
                if (!files.isEmpty()) {
                    Files.createLink(p, files.get(r.nextInt(files.size())));
                }
            }
        }
    }

    private static void writeRandomFile(Random r, Path p) throws IOException {
        byte[] content = new byte[r.nextInt(40)];
        r.nextBytes(content);
        Files.write(p, content);
        sh(p.getParent(), "chmod", Integer.toOctalString(MODES[r.nextInt(MODES.length)]), p.getFileName().toString());
    }

    /** One random edit of the upper tree; new mtimes are distinct per step so edits are always visible. */
    private static void mutate(Random r, Path upper, int step) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(upper)) {
            s.filter(p -> !p.equals(upper)).forEach(all::add);
        }
        all.sort(null);
        List<Path> dirs = new ArrayList<>(List.of(upper));
        all.stream().filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(dirs::add);
        Path target = all.isEmpty() ? null : all.get(r.nextInt(all.size()));
        Instant newTime = T0.plusSeconds(100 + step);
        switch (target == null ? 0 : r.nextInt(8)) {
            case 0 -> { // add a file or a small directory
                Path p = dirs.get(r.nextInt(dirs.size())).resolve(NAMES[r.nextInt(NAMES.length)] + step);
                if (r.nextBoolean()) {
                    writeRandomFile(r, p);
                } else {
                    Files.createDirectory(p);
                    writeRandomFile(r, p.resolve("f"));
                }
            }
            case 1 -> delete(upper, upper.relativize(target).toString());
            case 2 -> {
                if (!Files.isSymbolicLink(target)) {
                    sh(target.getParent(), "chmod", Integer.toOctalString(MODES[r.nextInt(MODES.length)]),
                            target.getFileName().toString());
                }
            }
            case 3 -> {
                if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.write(target, ("changed " + step).getBytes(StandardCharsets.UTF_8));
                    setMtime(target, newTime);
                }
            }
            case 4 -> { // type change
                boolean wasDir = Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS);
                delete(upper, upper.relativize(target).toString());
                if (wasDir) {
                    writeRandomFile(r, target);
                } else {
                    Files.createDirectory(target);
                    writeRandomFile(r, target.resolve("inside"));
                }
            }
            case 5 -> {
                if (Files.isSymbolicLink(target)) {
                    Files.delete(target);
                    Files.createSymbolicLink(target, Path.of("/retargeted/" + step));
                }
            }
            case 6 -> {
                List<Path> files = regularFiles(upper);
                Path dir = dirs.get(r.nextInt(dirs.size()));
                Path link = dir.resolve("hl" + step);
                if (!files.isEmpty()) {
                    Files.createLink(link, files.get(r.nextInt(files.size())));
                }
            }
            default -> {
                if (!Files.isSymbolicLink(target)) {
                    userXattr(target, "k" + (step % 2), "v" + step);
                } else {
                    setMtime(target, newTime);
                }
            }
        }
    }

    private static List<Path> regularFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
    }

    /**
     * podman diff's rules, stated on sets rather than as a walk: added = only in upper; deleted = only in lower with
     * a parent that is a directory on both sides (else an ancestor's entry implies it); modified = metadata differs,
     * or a directory on both sides with a listed descendant.
     */
    private static List<String> oracle(Path lower, Path upper) throws IOException {
        Map<String, String> l = signatures(lower);
        Map<String, String> u = signatures(upper);
        Map<String, Character> out = new TreeMap<>(Paths.TREE_ORDER);
        for (String p : u.keySet()) {
            if (!l.containsKey(p)) {
                out.put(p, 'A');
            } else if (!l.get(p).equals(u.get(p))) {
                out.put(p, 'C');
            }
        }
        for (String p : l.keySet()) {
            String parent = Paths.parent(p);
            if (!u.containsKey(p) && (parent.isEmpty() || isDirIn(l, parent) && isDirIn(u, parent))) {
                out.put(p, 'D');
            }
        }
        Set<String> listed = new HashSet<>(out.keySet());
        for (String p : listed) {
            for (String a = Paths.parent(p); !a.isEmpty(); a = Paths.parent(a)) {
                if (isDirIn(l, a) && isDirIn(u, a)) {
                    out.putIfAbsent(a, 'C');
                }
            }
        }
        List<String> result = new ArrayList<>();
        out.forEach((p, k) -> result.add(k + " /" + p));
        return result;
    }

    private static boolean isDirIn(Map<String, String> sigs, String p) {
        String s = sigs.get(p);
        return s != null && s.startsWith("DIRECTORY");
    }

    /** rel path → everything Changes compares, as one string (directory sizes excluded). */
    private static Map<String, String> signatures(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (RootedTreeReader t = RootedTreeReader.open(root); Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(x -> !x.equals(root)).toList()) {
                String rel = root.relativize(p).toString();
                FileStat m = t.lstat(rel);
                StringBuilder b = new StringBuilder(m.type().name()).append(' ')
                        .append(Integer.toOctalString(m.mode())).append(' ').append(m.uid()).append(':')
                        .append(m.gid()).append(' ').append(m.mtime());
                if (!m.isDirectory()) {
                    b.append(" size=").append(m.size());
                }
                if (m.type() == FileType.SYMLINK) {
                    b.append(" -> ").append(t.readlink(rel));
                }
                Xattrs.carriedOnly(t.xattrs(rel)).forEach((k, v) ->
                        b.append(' ').append(k).append('=').append(new String(v, StandardCharsets.ISO_8859_1)));
                out.put(rel, b.toString());
            }
        }
        return out;
    }
}
