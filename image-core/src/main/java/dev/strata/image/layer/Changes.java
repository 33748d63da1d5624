package dev.strata.image.layer;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.fs.FileStat;
import dev.strata.image.fs.FileType;
import dev.strata.image.fs.RootedTreeReader;

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
        try (RootedTreeReader l = RootedTreeReader.open(lower); RootedTreeReader u = RootedTreeReader.open(upper)) {
            return between(l, u, lower + " vs " + upper);
        }
    }

    static List<Change> between(RootedTreeReader lower, RootedTreeReader upper, String what) throws IOException {
        FileStat lroot = lower.lstat("");
        FileStat uroot = upper.lstat("");
        if (lroot == null || !lroot.isDirectory() || uroot == null || !uroot.isDirectory()) {
            throw new IOException("diff needs two directories: " + what);
        }
        List<Change> out = new ArrayList<>();
        if (!sameInode(lroot, uroot)) {
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
        List<RootedTreeReader> readers = new ArrayList<>(lowers.size());
        try (RootedTreeReader u = RootedTreeReader.open(upper)) {
            for (Path l : lowers) {
                readers.add(RootedTreeReader.open(l));
            }
            return fromOverlayUpper(u, readers, upper.toString());
        } finally {
            readers.forEach(RootedTreeReader::close);
        }
    }

    static List<Change> fromOverlayUpper(RootedTreeReader upper, List<RootedTreeReader> lowers, String what)
            throws IOException {
        FileStat root = upper.lstat("");
        if (root == null || !root.isDirectory()) {
            throw new IOException("overlay upper is not a directory: " + what);
        }
        List<Change> out = new ArrayList<>();
        new OverlayUpperWalk(upper, what).walkDir("", lowerDirsOf("", lowers), out);
        return Collections.unmodifiableList(out);
    }

    /** The lowers where the root is a directory; all of them, as the root is never whited out. */
    private static List<RootedTreeReader> lowerDirsOf(String rel, List<RootedTreeReader> lowers) throws IOException {
        List<RootedTreeReader> dirs = new ArrayList<>();
        for (RootedTreeReader l : lowers) {
            FileStat m = l.lstat(rel);
            if (m != null && m.isDirectory()) {
                dirs.add(l);
            }
        }
        return dirs;
    }

    /** The names in {@code dir}, in the order both walks merge them by. */
    private static List<String> list(RootedTreeReader tree, String dir) throws IOException {
        List<String> names = tree.list(dir);
        names.sort(Paths.NAME_ORDER);
        return names;
    }

    private static boolean sameInode(FileStat a, FileStat b) {
        return a.dev() == b.dev() && a.ino() == b.ino();
    }

    /** An overlayfs whiteout: a character device 0/0. */
    static boolean isOverlayWhiteout(FileStat m) {
        return m.type() == FileType.CHAR_DEVICE && m.rdevMajor() == 0 && m.rdevMinor() == 0;
    }

    private static String abs(String rel) {
        return "/" + rel;
    }

    /** The two-tree walk of {@link #between}. */
    private static final class TreeDiff {
        private final RootedTreeReader lower;
        private final RootedTreeReader upper;

        TreeDiff(RootedTreeReader lower, RootedTreeReader upper) {
            this.lower = lower;
            this.upper = upper;
        }

        void compareDirs(String dir, List<Change> out) throws IOException {
            List<String> lnames = list(lower, dir);
            List<String> unames = list(upper, dir);
            int i = 0;
            int j = 0;
            while (i < lnames.size() || j < unames.size()) {
                int c = i == lnames.size() ? 1 : j == unames.size() ? -1
                        : Paths.NAME_ORDER.compare(lnames.get(i), unames.get(j));
                if (c < 0) {
                    out.add(Change.delete(abs(Paths.join(dir, lnames.get(i++)))));
                } else if (c > 0) {
                    String rel = Paths.join(dir, unames.get(j++));
                    FileStat u = upper.lstat(rel);
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
            FileStat l = lower.lstat(rel);
            FileStat u = upper.lstat(rel);
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
            if (sameInode(l, u)) {
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

        private boolean differs(String rel, FileStat l, FileStat u) throws IOException {
            if (l.type() != u.type() || l.mode() != u.mode() || l.uid() != u.uid() || l.gid() != u.gid()
                    || !l.mtime().equals(u.mtime()) || l.rdevMajor() != u.rdevMajor()
                    || l.rdevMinor() != u.rdevMinor()) {
                return true;
            }
            // Directory sizes depend on the file system and on deleted entries, not on content.
            if (!u.isDirectory() && l.size() != u.size()) {
                return true;
            }
            if (u.type() == FileType.SYMLINK && !lower.readlink(rel).equals(upper.readlink(rel))) {
                return true;
            }
            return !Xattrs.equal(Xattrs.carriedOnly(lower.xattrs(rel)), Xattrs.carriedOnly(upper.xattrs(rel)));
        }

        private void addAll(String rel, FileStat u, List<Change> out) throws IOException {
            out.add(Change.add(abs(rel)));
            if (u.isDirectory()) {
                addChildren(rel, out);
            }
        }

        private void addChildren(String dir, List<Change> out) throws IOException {
            for (String name : list(upper, dir)) {
                String rel = Paths.join(dir, name);
                FileStat m = upper.lstat(rel);
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
        private final RootedTreeReader upper;
        private final String what;

        OverlayUpperWalk(RootedTreeReader upper, String what) {
            this.upper = upper;
            this.what = what;
        }

        /**
         * @param lowerDirs the lowers in which {@code dir} is a visible directory, topmost first: overlayfs merges
         *                  exactly these into the directory
         */
        void walkDir(String dir, List<RootedTreeReader> lowerDirs, List<Change> out) throws IOException {
            for (String name : list(upper, dir)) {
                String rel = Paths.join(dir, name);
                FileStat m = upper.lstat(rel);
                if (m == null) {
                    continue;
                }
                if (isOverlayWhiteout(m)) {
                    out.add(Change.delete(abs(rel)));
                    continue;
                }
                SortedMap<String, byte[]> xattrs = upper.xattrs(rel);
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

        private record Visibility(boolean exists, List<RootedTreeReader> dirs) {
        }

        /** Looks {@code rel} up in the lowers as overlayfs would, stopping at whiteouts and opaque directories. */
        private Visibility lookup(List<RootedTreeReader> lowerDirs, String rel) throws IOException {
            boolean exists = false;
            List<RootedTreeReader> dirs = new ArrayList<>();
            for (RootedTreeReader l : lowerDirs) {
                FileStat m = l.lstat(rel);
                if (m == null) {
                    continue;
                }
                if (isOverlayWhiteout(m)) {
                    break;
                }
                exists = true;
                if (!m.isDirectory()) {
                    break; // a non-directory hides everything below it
                }
                dirs.add(l);
                SortedMap<String, byte[]> x = l.xattrs(rel);
                if (Xattrs.isYes(x.get(OPAQUE[0])) || Xattrs.isYes(x.get(OPAQUE[1]))) {
                    break;
                }
            }
            return new Visibility(exists, dirs);
        }
    }
}
