package dev.strata.image.layer;

import dev.strata.image.UnsafeLayerException;
import dev.strata.image.fs.FdOutputStream;
import dev.strata.image.fs.FileNames;
import dev.strata.image.fs.FileStat;
import dev.strata.image.fs.FileType;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.fs.RootedFsException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Applies a layer blob (plain, gzip or zstd tar with OCI whiteouts) onto a directory in one streaming pass, computing
 * the blob digest and the DiffID on the way (see {@link ApplyResult}).
 *
 * <p>This is a security boundary: layers are untrusted and are applied as root. Every write goes through
 * {@link RootedFs}, so symlinks planted by the layer (or by lower layers) are resolved as if chrooted and nothing
 * outside the target can be created, changed or deleted. Names containing {@code ..} are refused outright rather
 * than clamped: no legitimate layer writer produces them.
 *
 * <p>Semantics follow the OCI image spec's changeset rules: a directory over a directory merges (the layer's metadata
 * wins); anything else replaces (removed first, never followed). Directory modes and times are applied after their
 * children, so a 0555 directory still receives its content and keeps the layer's mtime.
 *
 * <p>Whiteouts hide lower content only, never entries of the same layer, and act as if applied before every other
 * entry of the layer, wherever they stand in the tar (as the spec says, and as umoci and overlayfs behave):
 * <ul>
 * <li>{@code .wh.X} hides the lower X with all its descendants. An X of this layer stays; if it is a directory, the
 * lower entries beneath it that this layer did not write are removed (delete form) or hidden by making it opaque
 * (overlay form). A hard link to a whited-out name is refused in both forms: its target does not exist.
 * <li>{@code .wh..wh..opq} hides every lower descendant of its directory, at any depth; the directory's entries of
 * this layer, before or after the marker, stay.
 * <li>Both forms give the same merged tree: the delete form over the lower tree, the overlay form as an upper
 * directory (whiteouts as 0/0 character devices, opaque directories by xattr) mounted over the lower layers. The
 * overlay form does not see the lower layers, so the layer must name each directory it writes into (as every layer
 * writer does); a directory it only implies is created 0755 in the upper.
 * <li>A whiteout is an empty regular file (or a hard link to one: AUFS-era layers link their whiteouts to one
 * another). An entry of any other type whose name starts with {@code .wh.} (a directory {@code .wh.etc}, a symlink
 * {@code .wh.x}) deletes nothing: it is created literally under that name, like any entry, and so are the entries
 * beneath such a directory (as containerd keeps {@code .wh.etc/somefile}). AUFS metadata names ({@code .wh..wh.*}) of
 * any type are skipped, and {@code .wh.}, {@code .wh..} and {@code .wh...} are refused whatever their type.
 * </ul>
 */
public final class LayerApplier {
    private static final String WH = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final int COPY_BUFFER = 256 * 1024;

    private final ApplyOptions options;

    public LayerApplier(ApplyOptions options) {
        this.options = options;
    }

    public LayerApplier() {
        this(ApplyOptions.defaults());
    }

    /** Applies {@code blob} onto the directory {@code target} (which must exist). The stream is read to EOF. */
    public ApplyResult apply(InputStream blob, Path target) throws IOException {
        try (RootedFs fs = RootedFs.open(target)) {
            return apply(blob, fs);
        }
    }

    /** Applies {@code blob} onto the root of {@code fs}. The stream is read to EOF, not closed. */
    public ApplyResult apply(InputStream blob, RootedFs fs) throws IOException {
        try (LayerStream stream = LayerStream.open(blob, options.maxUncompressed(), options.pipelined())) {
            Run run = new Run(fs, new TarReader(stream.tar(), options.limits()));
            run.applyAll();
            LayerStream.Summary s = stream.finish();
            return new ApplyResult(s.digest(), s.size(), s.diffId(), s.uncompressedSize(), s.compression(),
                    run.reader.entryCount(), run.warnings);
        }
    }

    /** A directory entry whose mode and times wait for its children, and the inode it made. */
    private record DeferredDir(TarEntry entry, FileStat made) {
    }

    /** State of one application. */
    private final class Run {
        final RootedFs fs;
        final TarReader reader;
        final List<String> warnings = new ArrayList<>();
        /** Paths this layer created: whiteouts never remove them. Sorted: "wrote anything below p" is one lookup. */
        final NavigableSet<String> created = new TreeSet<>();
        /** Directories known to exist now, to skip mkdirs for every file. Cleared on any removal. */
        final Set<String> knownDirs = new HashSet<>();
        /**
         * Directory metadata to apply after all entries, by path: the last entry for a path wins, and the inode it
         * made is kept so metadata never lands on another directory. Sorted, so removing a directory drops its
         * subtree in O(log n), and iterating backwards visits children before parents.
         */
        final java.util.TreeMap<String, DeferredDir> deferred = new java.util.TreeMap<>();
        final boolean chown;
        final boolean mknodDevices;
        final byte[] buffer = new byte[COPY_BUFFER];
        TarEntry entry;

        Run(RootedFs fs, TarReader reader) {
            this.fs = fs;
            this.reader = reader;
            this.chown = switch (options.ownership()) {
                case APPLY -> true;
                case RECORD_ONLY -> false;
                case AUTO -> Privileges.canChown();
            };
            this.mknodDevices = Privileges.canMknod();
        }

        void applyAll() throws IOException {
            for (entry = reader.next(); entry != null; entry = reader.next()) {
                if (reader.entryCount() > options.maxEntries()) {
                    throw unsafe("more than " + options.maxEntries() + " entries");
                }
                try {
                    applyEntry();
                } catch (RootedFsException e) {
                    if ("ELOOP".equals(e.errnoName())) {
                        throw unsafe("too many levels of symbolic links (" + e.getMessage() + ")");
                    }
                    throw new IOException(where() + ": " + e.getMessage(), e);
                } catch (NoSuchFileException | FileAlreadyExistsException e) {
                    throw new IOException(where() + ": " + e.getMessage(), e);
                }
            }
            entry = null;
            finishDirectories();
        }

        private void applyEntry() throws IOException {
            String path = clean(entry.name());
            String base = path.isEmpty() ? "" : path.substring(path.lastIndexOf('/') + 1);
            String parent = path.lastIndexOf('/') < 0 ? "" : path.substring(0, path.lastIndexOf('/'));
            if (base.startsWith(WH)) {
                checkWhiteoutName(base);
                if (isWhiteoutFile()) {
                    whiteout(parent, base);
                    return;
                }
                if (base.startsWith(WH + WH)) {
                    return; // AUFS metadata (.wh..wh.plnk/, .wh..wh.orph/): of the writer, not content
                }
                // any other type named .wh.*: an ordinary entry (see the class comment)
            }
            if (path.isEmpty()) {
                if (entry.type() != TarType.DIRECTORY) {
                    throw unsafe("entry would replace the root directory with a " + entry.type());
                }
                ownAndXattrs("");
                deferDirectory("");
                return;
            }
            ensureParent(parent);
            switch (entry.type()) {
                case DIRECTORY -> directory(path);
                case REGULAR -> regular(path);
                case SYMLINK -> symlink(path);
                case HARDLINK -> hardlink(path);
                case CHAR_DEVICE, BLOCK_DEVICE, FIFO -> special(path);
            }
            created.add(path);
        }

        // ---- entry kinds ----------------------------------------------------------------------------------------

        private void directory(String path) throws IOException {
            try {
                fs.mkdir(path, 0700);
            } catch (FileAlreadyExistsException e) {
                FileStat st = fs.lstat(path);
                if (st.type() != FileType.DIRECTORY) {
                    removeExisting(path, st);
                    fs.mkdir(path, 0700);
                    if (isOverlayWhiteout(st)) {
                        markOpaque(path); // whited out by this layer: the lower directory stays hidden
                    }
                }
            }
            knownDirs.add(path);
            ownAndXattrs(path);
            deferDirectory(path);
        }

        private void deferDirectory(String path) throws IOException {
            deferred.put(path, new DeferredDir(entry, fs.lstat(path)));
        }

        private void regular(String path) throws IOException {
            FdOutputStream created;
            try {
                created = fs.createFile(path, 0600);
            } catch (FileAlreadyExistsException e) {
                removeExisting(path, fs.lstat(path));
                created = fs.createFile(path, 0600);
            }
            // Metadata through the new file's own fd: no second path resolution, and it is the inode we made.
            try (FdOutputStream out = created) {
                copyContent(out);
                if (chown) {
                    out.chown((int) entry.uid(), (int) entry.gid());
                } else {
                    checkOwnerRecorded();
                }
                out.chmod(entry.mode());
                for (var x : entry.xattrs().entrySet()) {
                    if (xattrAllowed(x.getKey())) {
                        out.setXattr(x.getKey(), x.getValue());
                    }
                }
                out.setTimes(atime(), mtime());
            }
        }

        private void copyContent(OutputStream out) throws IOException {
            InputStream data = reader.content();
            if (!entry.isSparse()) {
                int n;
                while ((n = data.read(buffer, 0, buffer.length)) >= 0) {
                    out.write(buffer, 0, n);
                }
                return;
            }
            // Sparse: holes are written as zeros (counted against the size cap, so a sparse bomb fails).
            long position = 0;
            long expanded = 0;
            for (TarEntry.SparseSegment s : entry.sparse()) {
                expanded += zeros(out, s.offset() - position, expanded);
                long left = s.length();
                while (left > 0) {
                    int n = data.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw unsafe("sparse data shorter than its map");
                    }
                    out.write(buffer, 0, n);
                    left -= n;
                }
                position = s.offset() + s.length();
            }
            zeros(out, entry.realSize() - position, expanded);
        }

        private long zeros(OutputStream out, long count, long expandedSoFar) throws IOException {
            if (expandedSoFar + count > options.maxUncompressed()) {
                throw unsafe("sparse file expands beyond the limit of " + options.maxUncompressed() + " bytes");
            }
            byte[] z = new byte[(int) Math.min(count, COPY_BUFFER)];
            long left = count;
            while (left > 0) {
                int n = (int) Math.min(z.length, left);
                out.write(z, 0, n);
                left -= n;
            }
            return count;
        }

        private void symlink(String path) throws IOException {
            try {
                fs.symlink(path, entry.linkName());
            } catch (FileAlreadyExistsException e) {
                removeExisting(path, fs.lstat(path));
                fs.symlink(path, entry.linkName());
            }
            ownAndXattrs(path);
            times(path);
        }

        private void hardlink(String path) throws IOException {
            String target = clean(entry.linkName());
            if (target.isEmpty()) {
                throw unsafe("hard link to the root directory");
            }
            FileStat t = lstatOrNull(target);
            if (t == null || isOverlayWhiteout(t)) {
                // in overlay form a whited-out name is a 0/0 device: refused as in delete form, where it is gone
                throw unsafe("hard link target '" + FileNames.display(entry.linkName()) + "' does not exist in the layer or below");
            }
            if (t.type() == FileType.DIRECTORY) {
                throw unsafe("hard link to directory '" + FileNames.display(entry.linkName()) + "'");
            }
            if (target.equals(path)) {
                return; // a link to itself changes nothing
            }
            try {
                fs.hardlink(path, target);
            } catch (FileAlreadyExistsException e) {
                FileStat existing = fs.lstat(path);
                if (existing.dev() == t.dev() && existing.ino() == t.ino()) {
                    return;
                }
                removeExisting(path, existing);
                fs.hardlink(path, target);
            }
        }

        private void special(String path) throws IOException {
            FileType type = switch (entry.type()) {
                case CHAR_DEVICE -> FileType.CHAR_DEVICE;
                case BLOCK_DEVICE -> FileType.BLOCK_DEVICE;
                default -> FileType.FIFO;
            };
            if (type != FileType.FIFO && !mknodDevices) {
                unsupported("device node '" + FileNames.display(entry.name()) + "' needs CAP_MKNOD; skipped");
                return;
            }
            try {
                fs.mknod(path, type, 0600, entry.devMajor(), entry.devMinor());
            } catch (FileAlreadyExistsException e) {
                removeExisting(path, fs.lstat(path));
                fs.mknod(path, type, 0600, entry.devMajor(), entry.devMinor());
            }
            ownAndXattrs(path);
            fs.chmod(path, entry.mode());
            times(path);
        }

        // ---- whiteouts ------------------------------------------------------------------------------------------

        /** {@code .wh.}, {@code .wh..} and {@code .wh...} name nothing that can be deleted, whatever their type. */
        private void checkWhiteoutName(String base) {
            String name = base.substring(WH.length());
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                throw unsafe("invalid whiteout '" + base + "'");
            }
        }

        /** An empty regular file, or a hard link to another whiteout (AUFS-era layers link them to one another). */
        private boolean isWhiteoutFile() {
            if (entry.type() == TarType.REGULAR) {
                return true;
            }
            if (entry.type() != TarType.HARDLINK) {
                return false;
            }
            String target = entry.linkName();
            int slash = target.lastIndexOf('/');
            return target.startsWith(WH, slash + 1);
        }

        private void whiteout(String parent, String base) throws IOException {
            if (base.equals(OPAQUE)) {
                opaque(parent);
                return;
            }
            String name = base.substring(WH.length());
            if (name.startsWith(WH)) {
                return; // AUFS bookkeeping such as .wh..wh.plnk: metadata of the writer, not content
            }
            String victim = parent.isEmpty() ? name : parent + "/" + name;
            if (options.whiteouts() == WhiteoutMode.OVERLAY) {
                overlayWhiteout(parent, victim);
                return;
            }
            FileStat existing = lstatOrNull(victim);
            if (existing == null) {
                return;
            }
            if (existing.type() == FileType.DIRECTORY && wroteAtOrBelow(victim)) {
                removeLower(victim); // the layer's own directory stays; what it merged with goes
            } else if (!created.contains(victim)) {
                remove(victim, existing);
            }
        }

        /**
         * A name this layer has not written becomes a 0/0 device; a directory it has written (into) becomes opaque,
         * so the lower one stays hidden below the layer's own entries; a non-directory it has written already hides
         * the lower one.
         */
        private void overlayWhiteout(String parent, String victim) throws IOException {
            ensureParent(parent);
            FileStat existing = lstatOrNull(victim);
            if (existing != null && wroteAtOrBelow(victim)) {
                if (existing.type() == FileType.DIRECTORY) {
                    markOpaque(victim);
                }
                return;
            }
            if (existing != null) {
                removeExisting(victim, existing);
            }
            if (!isOpaque(parent)) {
                fs.mknod(victim, FileType.CHAR_DEVICE, 0, 0, 0);
            }
        }

        private void opaque(String dir) throws IOException {
            FileStat st = lstatOrNull(dir);
            if (options.whiteouts() == WhiteoutMode.OVERLAY) {
                if (st != null && isOverlayWhiteout(st)) {
                    return; // the directory itself is whited out by this layer: nothing below to hide
                }
                if (st != null && st.type() != FileType.DIRECTORY && st.type() != FileType.SYMLINK) {
                    throw unsafe("opaque whiteout inside '" + dir + "', which is not a directory");
                }
                if (!dir.isEmpty()) {
                    ensureDirectory(dir);
                }
                markOpaque(dir);
                return;
            }
            if (st == null) {
                return; // nothing below to hide
            }
            if (st.type() != FileType.DIRECTORY) {
                throw unsafe("opaque whiteout inside '" + dir + "', which is not a directory");
            }
            removeLower(dir);
        }

        /**
         * Makes {@code dir} opaque and drops the whiteout devices in it: nothing below is left to hide, and overlayfs
         * lists the entries of a directory it need not merge as they are, whiteouts included.
         */
        private void markOpaque(String dir) throws IOException {
            fs.setXattr(dir, opaqueXattr(), "y".getBytes(StandardCharsets.US_ASCII));
            String prefix = dir.isEmpty() ? "" : dir + "/";
            for (String child : fs.list(dir)) {
                FileStat st = fs.lstat(prefix + child);
                if (isOverlayWhiteout(st)) {
                    fs.unlink(prefix + child);
                }
            }
        }

        private boolean isOpaque(String dir) throws IOException {
            return fs.getXattr(dir, opaqueXattr()).isPresent();
        }

        private String opaqueXattr() {
            return options.userXattrs() ? "user.overlay.opaque" : "trusted.overlay.opaque";
        }

        /**
         * Delete form: removes every descendant of directory {@code dir} that this layer did not write, keeping the
         * layer's entries and the directories leading to them (whose lower children go too).
         */
        private void removeLower(String dir) throws IOException {
            Deque<String> dirs = new ArrayDeque<>();
            dirs.push(dir);
            while (!dirs.isEmpty()) {
                String d = dirs.pop();
                String prefix = d.isEmpty() ? "" : d + "/";
                for (String child : fs.list(d)) {
                    String p = prefix + child;
                    FileStat st = fs.lstat(p);
                    boolean keep = wroteAtOrBelow(p);
                    if (keep && st.type() == FileType.DIRECTORY) {
                        dirs.push(p);
                    } else if (!keep) {
                        remove(p, st);
                    }
                }
            }
        }

        /** Whether this layer wrote {@code path} or anything below it. */
        private boolean wroteAtOrBelow(String path) {
            if (created.contains(path)) {
                return true;
            }
            String below = created.ceiling(path + "/");
            return below != null && below.startsWith(path + "/");
        }

        private boolean isOverlayWhiteout(FileStat st) {
            return options.whiteouts() == WhiteoutMode.OVERLAY && st.type() == FileType.CHAR_DEVICE
                    && st.rdevMajor() == 0 && st.rdevMinor() == 0;
        }

        // ---- helpers --------------------------------------------------------------------------------------------

        private void ensureParent(String parent) throws IOException {
            if (parent.isEmpty() || knownDirs.contains(parent)) {
                return;
            }
            ensureDirectory(parent);
        }

        /**
         * Makes {@code dir} a directory: missing ancestors are created 0755 like tar does; an existing directory,
         * or a symlink resolving to one inside the root, is used as it is.
         */
        private void ensureDirectory(String dir) throws IOException {
            try {
                fs.mkdirs(dir, 0755);
            } catch (RootedFsException e) {
                if (options.whiteouts() != WhiteoutMode.OVERLAY || !"ENOTDIR".equals(e.errnoName())
                        || !replaceWhiteoutsOnTheWay(dir)) {
                    throw e;
                }
                fs.mkdirs(dir, 0755);
            }
            knownDirs.add(dir);
        }

        /**
         * Overlay form: a directory this layer whited out and then writes into (without naming it) becomes an
         * opaque directory, as the delete form removes the lower one and creates it anew. False if none was found.
         */
        private boolean replaceWhiteoutsOnTheWay(String dir) throws IOException {
            boolean replaced = false;
            for (int slash = 0; slash >= 0; ) {
                slash = dir.indexOf('/', slash + 1);
                String p = slash < 0 ? dir : dir.substring(0, slash);
                FileStat st = lstatOrNull(p);
                if (st == null) {
                    break;
                }
                if (isOverlayWhiteout(st)) {
                    removeExisting(p, st);
                    fs.mkdir(p, 0755);
                    markOpaque(p);
                    replaced = true;
                }
            }
            return replaced;
        }

        private void removeExisting(String path, FileStat st) throws IOException {
            remove(path, st);
        }

        private void remove(String path, FileStat st) throws IOException {
            if (st.type() == FileType.DIRECTORY) {
                fs.removeAll(path);
                knownDirs.clear();
                String prefix = path + "/";
                created.subSet(prefix, path + "0").clear();
                // Their inodes are gone; a new directory may even reuse an inode number, so forget them by path.
                deferred.subMap(prefix, path + "0").clear();
                deferred.remove(path);
            } else {
                fs.unlink(path);
            }
            created.remove(path);
        }

        private FileStat lstatOrNull(String path) throws IOException {
            try {
                return fs.lstat(path);
            } catch (NoSuchFileException e) {
                return null;
            } catch (RootedFsException e) {
                if ("ENOTDIR".equals(e.errnoName())) {
                    return null;
                }
                throw e;
            }
        }

        /** Ownership first (chown clears setuid and file capabilities), then xattrs. */
        private void ownAndXattrs(String path) throws IOException {
            if (chown) {
                fs.chown(path, (int) entry.uid(), (int) entry.gid());
            } else {
                checkOwnerRecorded();
            }
            for (var x : entry.xattrs().entrySet()) {
                if (xattrAllowed(x.getKey())) {
                    fs.setXattr(path, x.getKey(), x.getValue());
                }
            }
        }

        private void checkOwnerRecorded() {
            if ((entry.uid() != 0 || entry.gid() != 0) && options.failOnUnsupported()) {
                throw unsafe("cannot apply owner " + entry.uid() + ":" + entry.gid() + " without CAP_CHOWN");
            }
        }

        private boolean xattrAllowed(String key) {
            if (key.startsWith("trusted.overlay.") || key.startsWith("user.overlay.")
                    || key.equals("security.selinux")) {
                return false; // never let a layer forge overlay state; SELinux labels belong to the host
            }
            if (entry.type() == TarType.SYMLINK && key.startsWith("user.")) {
                return false; // Linux allows no user.* xattrs on symlinks
            }
            if (!chown && (key.startsWith("trusted.") || key.startsWith("security."))) {
                unsupported("xattr " + key + " of '" + entry.name() + "' needs privileges; skipped");
                return false;
            }
            return true;
        }

        private Instant mtime() {
            return Instant.ofEpochSecond(entry.mtimeSeconds(), entry.mtimeNanos());
        }

        private Instant atime() {
            return entry.hasAtime() ? Instant.ofEpochSecond(entry.atimeSeconds(), entry.atimeNanos()) : mtime();
        }

        private void times(String path) throws IOException {
            fs.setTimes(path, atime(), mtime());
        }

        /**
         * Deepest first (descending path order puts children before parents), so setting a parent's mtime is not
         * undone by creating its children. The last entry for a path wins (as in tar). An entry is applied only to
         * the very directory it made (same dev/ino): a later entry may have replaced a parent with a symlink, and
         * then the path names some other directory.
         */
        private void finishDirectories() throws IOException {
            for (var e : deferred.descendingMap().entrySet()) {
                String path = e.getKey();
                entry = e.getValue().entry();
                FileStat st = lstatOrNull(path);
                FileStat made = e.getValue().made();
                if (st == null || st.type() != FileType.DIRECTORY || st.dev() != made.dev()
                        || st.ino() != made.ino()) {
                    continue; // replaced or removed later in the same layer
                }
                fs.chmod(path, entry.mode());
                times(path);
            }
            entry = null;
        }

        private void unsupported(String what) {
            if (options.failOnUnsupported()) {
                throw unsafe(what);
            }
            warnings.add(what);
        }

        /**
         * The archive name as a path under the root: leading {@code /} and {@code ./} dropped, empty and {@code .}
         * components removed; {@code ..} anywhere is refused.
         */
        private String clean(String name) {
            if (isClean(name)) {
                return name; // most names: nothing to drop, nothing to refuse
            }
            StringBuilder sb = new StringBuilder(name.length());
            int i = 0;
            int n = name.length();
            while (i <= n) {
                int slash = name.indexOf('/', i);
                if (slash < 0) {
                    slash = n;
                }
                String c = name.substring(i, slash);
                if (c.equals("..")) {
                    throw unsafe("path contains '..'");
                }
                if (!c.isEmpty() && !c.equals(".")) {
                    if (sb.length() > 0) {
                        sb.append('/');
                    }
                    sb.append(c);
                }
                i = slash + 1;
            }
            if (sb.indexOf("\0") >= 0) {
                throw unsafe("name contains a NUL byte");
            }
            return sb.toString();
        }

        /** Whether {@link #clean} would return {@code name} unchanged: no empty, "." or ".." part, no NUL. */
        private static boolean isClean(String name) {
            int n = name.length();
            int start = 0;
            for (int i = 0; i <= n; i++) {
                char c = i < n ? name.charAt(i) : '/';
                if (c == '\0') {
                    return false;
                }
                if (c == '/') {
                    int len = i - start;
                    if (len == 0 || name.charAt(start) == '.' && (len == 1
                            || len == 2 && name.charAt(start + 1) == '.')) {
                        return false;
                    }
                    start = i + 1;
                }
            }
            return true;
        }

        private String where() {
            return "layer entry " + reader.entryCount() + (entry == null ? "" : " '" + FileNames.display(entry.name()) + "'");
        }

        private UnsafeLayerException unsafe(String why) {
            return new UnsafeLayerException(where() + ": " + why);
        }
    }
}
