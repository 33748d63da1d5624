package dev.strata.image.layer;

import dev.strata.image.FailedPreconditionException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;

/**
 * Computes the change set between two directory trees, with the semantics of {@code podman diff}: a deleted
 * directory is listed once (its children are implied), an added directory lists all its descendants as added, and a
 * directory that contains changes is listed as modified. The root itself is never listed. Results are sorted in
 * depth-first tree order (component by component, names in UTF-8 byte order), which is also the order a layer
 * writes them.
 */
public final class Changes {
    private Changes() {
    }

    /**
     * Walks {@code lower} and {@code upper} together. Two nodes are equal when their type, permission bits (incl.
     * setuid/setgid/sticky), owner, group, mtime (to the nanosecond), size (not for directories), symlink target,
     * device number and image xattrs are equal. File content is not read: like tar-based tools, an unchanged size and
     * mtime are taken to mean unchanged content (a writer that restores the mtime after changing content defeats
     * this, as it defeats {@code podman diff}). Unlike podman, a directory whose own mtime changed is listed as
     * modified, so that the layer reproduces it exactly. A pair of nodes with the same (dev, inode) is equal
     * without further checks, and a shared directory is not descended.
     *
     * @throws IOException on a read error, or when either root is not a directory
     */
    public static List<Change> between(Path lower, Path upper) throws IOException {
        try (TreeReader l = TreeReader.of(lower); TreeReader u = TreeReader.of(upper)) {
            return between(l, u, lower + " vs " + upper);
        }
    }

    static List<Change> between(TreeReader lower, TreeReader upper, String what) throws IOException {
        NodeMeta lroot = lower.lstat("");
        NodeMeta uroot = upper.lstat("");
        if (lroot == null || !lroot.isDirectory() || uroot == null || !uroot.isDirectory()) {
            throw new IOException("diff needs two directories: " + what);
        }
        List<Change> out = new ArrayList<>();
        if (!lroot.sameInode(uroot)) {
            new TreeDiff(lower, upper).compareDirs("", out);
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Reads the change set from an overlayfs upper directory, in O(size of upper): every entry of the upper is a
     * change. A character device 0/0 is a deletion; a directory with {@code trusted.overlay.opaque=y} (or
     * {@code user.overlay.opaque=y}) replaced the lower directory and is marked {@link Change#opaque()}; any other
     * entry is a modification when a lower layer shows the same path (looked up top-down as overlayfs does,
     * honouring the lowers' own whiteouts and opaque directories) and an addition otherwise. The lowers are only
     * probed with {@code lstat}, never walked.
     *
     * @param lowers the lower layers' directories, topmost first
     * @throws FailedPreconditionException when the upper uses overlay features a layer cannot express (metacopy,
     *                                     redirect_dir)
     */
    public static List<Change> fromOverlayUpper(Path upper, List<Path> lowers) throws IOException {
        List<TreeReader> readers = new ArrayList<>(lowers.size());
        try (TreeReader u = TreeReader.of(upper)) {
            for (Path l : lowers) {
                readers.add(TreeReader.of(l));
            }
            return fromOverlayUpper(u, readers, upper.toString());
        } finally {
            readers.forEach(TreeReader::close);
        }
    }

    static List<Change> fromOverlayUpper(TreeReader upper, List<TreeReader> lowers, String what) throws IOException {
        NodeMeta root = upper.lstat("");
        if (root == null || !root.isDirectory()) {
            throw new IOException("overlay upper is not a directory: " + what);
        }
        List<Change> out = new ArrayList<>();
        new OverlayUpperWalk(upper, what).walkDir("", lowerDirsOf("", lowers), out);
        return Collections.unmodifiableList(out);
    }

    /** The lowers where the root is a directory; all of them, as the root is never whited out. */
    private static List<TreeReader> lowerDirsOf(String rel, List<TreeReader> lowers) throws IOException {
        List<TreeReader> dirs = new ArrayList<>();
        for (TreeReader l : lowers) {
            NodeMeta m = l.lstat(rel);
            if (m != null && m.isDirectory()) {
                dirs.add(l);
            }
        }
        return dirs;
    }

    private static String abs(String rel) {
        return "/" + rel;
    }

    /** The two-tree walk of {@link #between}. */
    private static final class TreeDiff {
        private final TreeReader lower;
        private final TreeReader upper;

        TreeDiff(TreeReader lower, TreeReader upper) {
            this.lower = lower;
            this.upper = upper;
        }

        void compareDirs(String dir, List<Change> out) throws IOException {
            List<String> lnames = lower.list(dir);
            List<String> unames = upper.list(dir);
            int i = 0;
            int j = 0;
            while (i < lnames.size() || j < unames.size()) {
                int c = i == lnames.size() ? 1 : j == unames.size() ? -1
                        : Paths.NAME_ORDER.compare(lnames.get(i), unames.get(j));
                if (c < 0) {
                    out.add(Change.delete(abs(Paths.join(dir, lnames.get(i++)))));
                } else if (c > 0) {
                    String rel = Paths.join(dir, unames.get(j++));
                    NodeMeta u = upper.lstat(rel);
                    if (u != null) {
                        addAll(rel, u, out);
                    }
                } else {
                    String rel = Paths.join(dir, lnames.get(i));
                    i++;
                    j++;
                    compareNodes(rel, out);
                }
            }
        }

        private void compareNodes(String rel, List<Change> out) throws IOException {
            NodeMeta l = lower.lstat(rel);
            NodeMeta u = upper.lstat(rel);
            if (u == null) { // vanished while we walked
                if (l != null) {
                    out.add(Change.delete(abs(rel)));
                }
                return;
            }
            if (l == null) {
                addAll(rel, u, out);
                return;
            }
            if (l.sameInode(u)) {
                return;
            }
            boolean modified = differs(rel, l, u);
            if (!u.isDirectory()) {
                // A non-directory replacing a directory replaces its whole subtree: one entry says it all.
                if (modified) {
                    out.add(Change.modify(abs(rel)));
                }
                return;
            }
            if (!l.isDirectory()) {
                out.add(Change.modify(abs(rel)));
                addChildren(rel, out);
                return;
            }
            // A placeholder keeps the parent before its children without shifting the list afterwards.
            int mark = out.size();
            out.add(modified ? Change.modify(abs(rel)) : null);
            compareDirs(rel, out);
            if (!modified) {
                if (out.size() == mark + 1) {
                    out.remove(mark);
                } else {
                    out.set(mark, Change.modify(abs(rel)));
                }
            }
        }

        private boolean differs(String rel, NodeMeta l, NodeMeta u) throws IOException {
            if (l.type() != u.type() || l.permissions() != u.permissions() || l.uid() != u.uid()
                    || l.gid() != u.gid() || l.mtimeSeconds() != u.mtimeSeconds()
                    || l.mtimeNanos() != u.mtimeNanos() || l.rdev() != u.rdev()) {
                return true;
            }
            // Directory sizes depend on the file system and on deleted entries, not on content.
            if (!u.isDirectory() && l.size() != u.size()) {
                return true;
            }
            if (u.type() == NodeType.SYMLINK && !lower.readLink(rel).equals(upper.readLink(rel))) {
                return true;
            }
            return !Xattrs.equal(Xattrs.carriedOnly(lower.xattrs(rel, l)), Xattrs.carriedOnly(upper.xattrs(rel, u)));
        }

        private void addAll(String rel, NodeMeta u, List<Change> out) throws IOException {
            out.add(Change.add(abs(rel)));
            if (u.isDirectory()) {
                addChildren(rel, out);
            }
        }

        private void addChildren(String dir, List<Change> out) throws IOException {
            for (String name : upper.list(dir)) {
                String rel = Paths.join(dir, name);
                NodeMeta m = upper.lstat(rel);
                if (m != null) {
                    addAll(rel, m, out);
                }
            }
        }
    }

    /** The single-tree walk of {@link #fromOverlayUpper}. */
    private static final class OverlayUpperWalk {
        private static final String[] OPAQUE = {"trusted.overlay.opaque", "user.overlay.opaque"};
        private static final String[] UNSUPPORTED = {"trusted.overlay.metacopy", "user.overlay.metacopy",
                "trusted.overlay.redirect", "user.overlay.redirect"};
        private final TreeReader upper;
        private final String what;

        OverlayUpperWalk(TreeReader upper, String what) {
            this.upper = upper;
            this.what = what;
        }

        /**
         * @param lowerDirs the lowers in which {@code dir} is a visible directory, topmost first: overlayfs merges
         *                  exactly these into the directory
         */
        void walkDir(String dir, List<TreeReader> lowerDirs, List<Change> out) throws IOException {
            for (String name : upper.list(dir)) {
                String rel = Paths.join(dir, name);
                NodeMeta m = upper.lstat(rel);
                if (m == null) {
                    continue;
                }
                if (m.isOverlayWhiteout()) {
                    out.add(Change.delete(abs(rel)));
                    continue;
                }
                SortedMap<String, byte[]> xattrs = upper.xattrs(rel, m);
                for (String x : UNSUPPORTED) {
                    if (xattrs.containsKey(x)) {
                        throw new FailedPreconditionException("overlay upper " + what + " uses " + x + " on /" + rel
                                + ": mount without metacopy and redirect_dir to diff it");
                    }
                }
                boolean opaque = m.isDirectory() && (Xattrs.isYes(xattrs.get(OPAQUE[0]))
                        || Xattrs.isYes(xattrs.get(OPAQUE[1])));
                Visibility v = lookup(lowerDirs, rel);
                Change.Kind kind = v.exists ? Change.Kind.MODIFY : Change.Kind.ADD;
                out.add(new Change(kind, abs(rel), opaque));
                if (m.isDirectory()) {
                    walkDir(rel, opaque ? List.of() : v.dirs, out);
                }
            }
        }

        private record Visibility(boolean exists, List<TreeReader> dirs) {
        }

        /** Looks {@code rel} up in the lowers as overlayfs would, stopping at whiteouts and opaque directories. */
        private Visibility lookup(List<TreeReader> lowerDirs, String rel) throws IOException {
            boolean exists = false;
            List<TreeReader> dirs = new ArrayList<>();
            for (TreeReader l : lowerDirs) {
                NodeMeta m = l.lstat(rel);
                if (m == null) {
                    continue;
                }
                if (m.isOverlayWhiteout()) {
                    break;
                }
                exists = true;
                if (!m.isDirectory()) {
                    break; // a non-directory hides everything below it
                }
                dirs.add(l);
                SortedMap<String, byte[]> x = l.xattrs(rel, m);
                if (Xattrs.isYes(x.get(OPAQUE[0])) || Xattrs.isYes(x.get(OPAQUE[1]))) {
                    break;
                }
            }
            return new Visibility(exists, dirs);
        }
    }
}
