package dev.strata.driver.overlay;

import dev.strata.image.layer.LayerApplier;
import dev.strata.image.testing.TarBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Differential: random layer stacks (files, directories, symlinks, hard links, whiteouts and opaque markers before
 * and after the layer's own entries, type changes file/directory/symlink across layers, now and then a hard link to
 * a whited-out name) applied with vfs, with overlay (its real mount) and in delete form onto a plain directory must
 * give the same tree entry by entry, or be refused at the same layer by all three.
 *
 * <p>Each layer names the directories it writes into, as every layer writer does (the overlay form cannot see lower
 * layers, see {@code LayerApplier}), and whiteouts name what exists below or what the layer itself writes. Replay one
 * seed with {@code -Dstrata.differential.seed=N}.
 */
class OverlayVfsDifferentialTest {
    private static final int SEEDS = 40;
    private static final int MAX_LAYERS = 4;
    private static final String[] NAMES = {"a", "b", "c"};
    private static final String[] LINK_TARGETS = {"a", "../b", "/c/a", "nowhere", "."};

    @TempDir
    Path tmp;

    @BeforeEach
    void requireOverlay() {
        ThreeWayApply.requireOverlay(tmp);
    }

    @Test
    void randomStacksGiveTheSameTreeWithVfsOverlayAndPlainDeleteForm() {
        String only = System.getProperty("strata.differential.seed");
        List<Long> seeds = new ArrayList<>();
        if (only != null) {
            seeds.add(Long.parseLong(only));
        } else {
            for (long s = 1; s <= SEEDS; s++) {
                seeds.add(s);
            }
        }
        List<String> failures = new ArrayList<>();
        assertTimeoutPreemptively(Duration.ofSeconds(300), () -> {
            for (long seed : seeds) {
                Path dir = Files.createDirectory(tmp.resolve("seed" + seed));
                List<byte[]> layers = new ArrayList<>();
                StringBuilder listing = new StringBuilder();
                generate(seed, dir.resolve("model"), layers, listing);
                ThreeWayApply.Result r;
                try {
                    r = ThreeWayApply.apply(dir, layers);
                } catch (IOException e) { // e.g. a name the merged view lists but cannot look up
                    failures.add("seed " + seed + " (replay: -Dstrata.differential.seed=" + seed + ")\n" + listing
                            + "  " + e + "\n");
                    continue;
                }
                if (!r.agree()) {
                    failures.add("seed " + seed + " (replay: -Dstrata.differential.seed=" + seed + ")\n" + listing
                            + "  plain:   " + r.plainFailure() + " " + r.plain() + "\n"
                            + "  vfs:     " + r.vfsFailure() + " " + r.vfs() + "\n"
                            + "  overlay: " + r.overlayFailure() + " " + r.overlay() + "\n");
                }
            }
        });
        assertThat(failures).as("seeds whose trees differ").isEmpty();
    }

    /** Generates the layers of one seed, each from the tree the previous ones give (kept in {@code model}). */
    private static void generate(long seed, Path model, List<byte[]> layers, StringBuilder listing)
            throws IOException {
        Random r = new Random(seed);
        Files.createDirectory(model);
        int count = 1 + r.nextInt(MAX_LAYERS);
        for (int i = 0; i < count; i++) {
            Layer layer = new Layer(r, model);
            List<String[]> entries = layer.block("", 3);
            TarBuilder t = new TarBuilder();
            listing.append("  layer ").append(i).append(':');
            for (String[] e : entries) {
                listing.append(' ').append(e[0]).append(e[1].equals("f") ? "" : "(" + e[1] + ")");
                switch (e[1]) {
                    case "d" -> t.entry(e[0] + "/").type('5').mode(Integer.parseInt(e[2], 8)).add();
                    case "f" -> t.entry(e[0]).mode(Integer.parseInt(e[2], 8)).data(e[3]).add();
                    case "s" -> t.symlink(e[0], e[2]);
                    case "h" -> t.hardlink(e[0], e[2]);
                    default -> t.file(e[0], ""); // whiteout or opaque marker
                }
            }
            listing.append('\n');
            byte[] tar = t.end().bytes();
            layers.add(tar);
            try {
                new LayerApplier().apply(new ByteArrayInputStream(tar), model);
            } catch (IOException | RuntimeException refused) {
                return; // the stack ends where a layer is refused
            }
        }
    }

    /** One layer being generated: entries as {path, kind, mode-or-target, content}. */
    private static final class Layer {
        final Random r;
        final Path model;
        /** Regular files written so far in this layer (hard link targets), and names it whited out. */
        final List<String> files = new ArrayList<>();
        final List<String> whitedOut = new ArrayList<>();
        final TreeSet<String> written = new TreeSet<>();

        Layer(Random r, Path model) {
            this.r = r;
            this.model = model;
        }

        /** The entries below directory {@code dir} (which this layer names, or the root), in tar order. */
        List<String[]> block(String dir, int depth) {
            List<String[]> out = new ArrayList<>();
            List<String[]> markers = new ArrayList<>();
            for (String n : NAMES) {
                String p = dir.isEmpty() ? n : dir + "/" + n;
                boolean below = Files.exists(model.resolve(p), LinkOption.NOFOLLOW_LINKS);
                int roll = r.nextInt(100);
                boolean own = true;
                if (roll < 40) {
                    own = false;
                } else if (roll < 60) {
                    files.add(p);
                    out.add(new String[]{p, "f", r.nextBoolean() ? "644" : "600", "v" + r.nextInt(3)});
                } else if (roll < 80 && depth > 1) {
                    out.add(new String[]{p, "d", r.nextBoolean() ? "755" : "750", ""});
                    out.addAll(block(p, depth - 1));
                } else if (roll < 90 || files.isEmpty() && whitedOut.isEmpty()) {
                    out.add(new String[]{p, "s", LINK_TARGETS[r.nextInt(LINK_TARGETS.length)], ""});
                } else if (!whitedOut.isEmpty() && r.nextInt(6) == 0) {
                    out.add(new String[]{p, "h", whitedOut.get(r.nextInt(whitedOut.size())), ""}); // refused
                } else if (!files.isEmpty()) {
                    out.add(new String[]{p, "h", files.get(r.nextInt(files.size())), ""});
                } else {
                    own = false;
                }
                if (own) {
                    written.add(p);
                }
                // a whiteout of what is below, or of the layer's own entry (same-layer case), before or after it
                if (below && r.nextInt(100) < 30 || own && r.nextInt(100) < 15) {
                    markers.add(new String[]{(dir.isEmpty() ? "" : dir + "/") + ".wh." + n, "w", "", ""});
                    if (below && !own) {
                        whitedOut.add(p);
                    }
                }
            }
            // not at the root: overlayfs ignores the opaque xattr on the root of a layer (left out, see the report)
            if (!dir.isEmpty() && r.nextInt(100) < 12) {
                markers.add(new String[]{(dir.isEmpty() ? "" : dir + "/") + ".wh..wh..opq", "o", "", ""});
            }
            for (String[] m : markers) {
                out.add(r.nextInt(out.size() + 1), m);
            }
            return out;
        }
    }
}
