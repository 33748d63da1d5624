package dev.strata.driver.overlay;

import dev.strata.driver.vfs.VfsDriver;
import dev.strata.image.driver.DiffDriver;
import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.Probe;
import dev.strata.image.driver.NaiveDiff;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.RootedSnapshot;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies one layer stack three ways: with the VFS driver (delete form onto a copy of the parent), with the overlay
 * driver (overlay form, seen through its real mount) and in delete form onto a plain directory (what {@code unpack}
 * does), and describes the three resulting trees entry by entry. A layer refused by one must be refused by all.
 */
final class ThreeWayApply {
    /** The three trees and, for each, the layer it refused (null if none); a refused overlay stack is not read. */
    record Result(Map<String, String> vfs, Map<String, String> overlay, Map<String, String> plain,
                  String vfsFailure, String overlayFailure, String plainFailure) {
        /**
         * Whether the three agree: the same layer refused by all, or none refused and the same trees (what a refused
         * layer left behind is discarded by the store, and differs between the forms).
         */
        boolean agree() {
            if (plainFailure != null || vfsFailure != null || overlayFailure != null) {
                return same(vfsFailure, plainFailure) && same(overlayFailure, plainFailure);
            }
            return vfs.equals(plain) && overlay.equals(plain);
        }

        private static boolean same(String a, String b) {
            return a == null ? b == null : b != null && a.equals(b);
        }
    }

    private ThreeWayApply() {
    }

    static Result apply(Path tmp, List<byte[]> layers) throws IOException {
        Path plain = Files.createDirectory(tmp.resolve("plain"));
        String plainFailure = null;
        for (int i = 0; i < layers.size() && plainFailure == null; i++) {
            try {
                new LayerApplier().apply(new ByteArrayInputStream(layers.get(i)), plain);
            } catch (IOException | RuntimeException e) {
                plainFailure = failure(i, e);
            }
        }
        Map<String, String> plainTree = describe(plain);

        Map<String, String> vfsTree;
        Outcome vfs;
        try (VfsDriver driver = VfsDriver.open(tmp.resolve("vfs"))) {
            DiffDriver diff = NaiveDiff.wrap(driver);
            vfs = stack(layers, driver,
                    (id, parent, tar) -> diff.applyDiff(id, parent, new ByteArrayInputStream(tar)));
            vfsTree = describe(driver.get(vfs.top()));
            driver.put(vfs.top());
        }

        Map<String, String> overlayTree;
        Outcome overlay;
        try (OverlayDriver driver = OverlayDriver.open(tmp.resolve("overlay"))) {
            overlay = stack(layers, driver,
                    (id, parent, tar) -> driver.applyDiff(id, parent, new ByteArrayInputStream(tar)));
            Path merged = driver.get(overlay.top());
            try {
                overlayTree = overlay.failure() == null ? describe(merged) : Map.of();
            } finally {
                driver.put(overlay.top());
            }
        } finally {
            OverlayTestMounts.detachAllUnder(tmp);
        }
        return new Result(vfsTree, overlayTree, plainTree, vfs.failure(), overlay.failure(), plainFailure);
    }

    /** Skips (locally) or fails (CI=true) unless overlay mounts work here. */
    static void requireOverlay(Path tmp) {
        Probe probe = new OverlayDriverProvider().probe(tmp.resolve("probe"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
    }

    @FunctionalInterface
    private interface Step {
        void apply(String id, String parent, byte[] tar) throws IOException;
    }

    /** The top layer created and the refusal that ended the stack (null if none). */
    private record Outcome(String top, String failure) {
    }

    /** Creates layers l0, l1, … on {@code driver} and applies each, until one is refused. */
    private static Outcome stack(List<byte[]> layers, GraphDriver driver, Step step) throws IOException {
        String top = null;
        for (int i = 0; i < layers.size(); i++) {
            String id = "l" + i;
            driver.create(id, top);
            top = id;
            try {
                step.apply(id, i == 0 ? null : "l" + (i - 1), layers.get(i));
            } catch (IOException | RuntimeException e) {
                return new Outcome(top, failure(i, e));
            }
        }
        return new Outcome(top, null);
    }

    /** Which layer failed and why, without the parts that name the driver's directories. */
    private static String failure(int layer, Exception e) {
        String m = String.valueOf(e.getMessage());
        Matcher entry = Pattern.compile("layer entry \\d+ '[^']*'").matcher(m);
        return "layer " + layer + ": " + e.getClass().getSimpleName() + (entry.find() ? " at " + entry.group() : "");
    }

    /**
     * Entry-by-entry description without the root itself and without directory mtimes (a directory a layer writes
     * into gets the time of that write on disk). Link groups with one visible member are dropped: overlayfs reports a
     * lower inode's link count as is, including names that upper layers hid.
     */
    static Map<String, String> describe(Path root) throws IOException {
        Map<String, String> snapshot = RootedSnapshot.describe(root, false);
        snapshot.remove(".");
        Map<String, Long> members = new HashMap<>();
        Pattern group = Pattern.compile(" link-group=(\\S+)");
        for (String v : snapshot.values()) {
            Matcher m = group.matcher(v);
            if (m.find()) {
                members.merge(m.group(1), 1L, Long::sum);
            }
        }
        snapshot.replaceAll((k, v) -> {
            Matcher m = group.matcher(v);
            return m.find() && members.get(m.group(1)) == 1 ? m.replaceFirst("") : v;
        });
        return snapshot;
    }
}
