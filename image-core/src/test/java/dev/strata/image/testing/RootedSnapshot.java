package dev.strata.image.testing;

import dev.strata.image.fs.FileStat;
import dev.strata.image.fs.FileType;
import dev.strata.image.fs.RootedFs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Describes a tree entry by entry through {@link RootedFs} (lstat, never following, never opening a FIFO or device),
 * with every xattr namespace: the oracle for exact copies and diff round trips. One line per path (root: {@code .}):
 * type, mode, owner, size and content hash, link target, device numbers, xattrs, mtime, hard link group.
 */
public final class RootedSnapshot {
    private RootedSnapshot() {
    }

    /** @param dirMtimes include directory mtimes (they change whenever a child is added or removed) */
    public static Map<String, String> describe(Path root, boolean dirMtimes) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (RootedFs fs = RootedFs.open(root)) {
            walk(fs, "", out, new HashMap<>(), dirMtimes);
        }
        return out;
    }

    private static void walk(RootedFs fs, String path, Map<String, String> out, Map<String, String> groups,
                             boolean dirMtimes) throws IOException {
        FileStat st = fs.lstat(path);
        StringBuilder sb = new StringBuilder(st.type().name().toLowerCase());
        if (st.type() != FileType.SYMLINK) {
            sb.append(" mode=").append(Integer.toOctalString(st.mode()));
        }
        sb.append(" owner=").append(st.uid()).append(':').append(st.gid());
        switch (st.type()) {
            case REGULAR -> sb.append(" size=").append(st.size()).append(" sha256=").append(hash(fs, path));
            case SYMLINK -> sb.append(" target=").append(fs.readlink(path));
            case CHAR_DEVICE, BLOCK_DEVICE -> sb.append(" dev=").append(st.rdevMajor()).append(',')
                    .append(st.rdevMinor());
            default -> { }
        }
        for (String key : fs.listXattrs(path)) {
            sb.append(" xattr:").append(key).append('=')
                    .append(HexFormat.of().formatHex(fs.getXattr(path, key).orElse(new byte[0])));
        }
        if (dirMtimes || st.type() != FileType.DIRECTORY) {
            sb.append(" mtime=").append(st.mtime());
        }
        if (st.type() != FileType.DIRECTORY && st.nlink() > 1) {
            sb.append(" link-group=").append(groups.computeIfAbsent(st.dev() + ":" + st.ino(), k -> path));
        }
        out.put(path.isEmpty() ? "." : path, sb.toString());
        if (st.type() == FileType.DIRECTORY) {
            for (String name : fs.list(path)) {
                walk(fs, path.isEmpty() ? name : path + "/" + name, out, groups, dirMtimes);
            }
        }
    }

    private static String hash(RootedFs fs, String path) throws IOException {
        try (InputStream in = fs.openRead(path)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
