package dev.strata.image.testing;

import dev.strata.image.fs.RootedFs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Describes a directory tree entry by entry (never following symlinks), so two trees can be compared with one
 * assertion and a readable diff: the oracle for "Strata's rootfs equals umoci's", round trips and escape sentinels.
 */
public final class TreeSnapshot {
    private TreeSnapshot() {
    }

    /** Sorted relative paths; directories end in {@code /}, symlinks read {@code name -> target}. */
    public static List<String> listing(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        walk(root, (rel, p, attrs) -> {
            if (attrs.isDirectory()) {
                out.add(rel + "/");
            } else if (attrs.isSymbolicLink()) {
                out.add(rel + " -> " + Files.readSymbolicLink(p));
            } else {
                out.add(rel);
            }
        });
        out.sort(null);
        return out;
    }

    /** What to include in a {@link #describe} line. */
    public record Options(boolean mtimes, boolean directoryMtimes, boolean xattrs) {
        public static final Options FULL = new Options(true, true, true);
        public static final Options NO_DIR_MTIMES = new Options(true, false, true);
    }

    /**
     * One line per entry: type, mode (with special bits), uid:gid, size, content sha256, link target, device
     * numbers, xattrs, mtime, and a hardlink group label (the first path of the inode), sorted by path.
     */
    public static Map<String, String> describe(Path root, Options options) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Map<String, String> inodeFirstPath = new HashMap<>();
        walk(root, (rel, p, attrs) -> {
            Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            StringBuilder sb = new StringBuilder();
            String type = attrs.isDirectory() ? "dir" : attrs.isSymbolicLink() ? "symlink"
                    : attrs.isRegularFile() ? "file" : switch (mode & 0170000) {
                        case 0020000 -> "char";
                        case 0060000 -> "block";
                        case 0010000 -> "fifo";
                        case 0140000 -> "socket";
                        default -> "other";
                    };
            sb.append(type);
            if (!attrs.isSymbolicLink()) {
                sb.append(" mode=").append(Integer.toOctalString(mode & 07777));
            }
            sb.append(" owner=").append(a.get("uid")).append(':').append(a.get("gid"));
            if (attrs.isRegularFile()) {
                sb.append(" size=").append(attrs.size()).append(" sha256=").append(sha256(p));
                long nlink = ((Number) a.get("nlink")).longValue();
                if (nlink > 1) {
                    String key = a.get("dev") + ":" + a.get("ino");
                    sb.append(" link-group=").append(inodeFirstPath.computeIfAbsent(key, k -> rel));
                }
            }
            if (attrs.isSymbolicLink()) {
                sb.append(" target=").append(Files.readSymbolicLink(p));
            }
            if (type.equals("char") || type.equals("block")) {
                long rdev = ((Number) a.get("rdev")).longValue();
                sb.append(" dev=").append((rdev >> 8) & 0xfff).append(',').append((rdev & 0xff) | ((rdev >> 12) & 0xfff00));
            }
            if (options.xattrs() && (attrs.isRegularFile() || attrs.isDirectory())) {
                sb.append(xattrs(p));
            } else if (options.xattrs() && !attrs.isSymbolicLink()) {
                sb.append(specialFileXattrs(p));
            }
            if (options.mtimes() && (options.directoryMtimes() || !attrs.isDirectory())) {
                sb.append(" mtime=").append(Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant());
            }
            out.put(rel.isEmpty() ? "." : rel, sb.toString());
        });
        return out;
    }

    private static String xattrs(Path p) throws IOException {
        // user.* only through NIO; privileged namespaces are compared by the tests that set them.
        UserDefinedFileAttributeView view = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        List<String> names;
        try {
            names = new ArrayList<>(view.list());
        } catch (IOException e) {
            return "";
        }
        names.sort(null);
        for (String n : names) {
            ByteBuffer b = ByteBuffer.allocate(view.size(n));
            view.read(n, b);
            sb.append(" xattr:user.").append(n).append('=').append(HexFormat.of().formatHex(b.array()));
        }
        return sb.toString();
    }

    /**
     * NIO's xattr view opens the file, which blocks forever on a FIFO and opens the device of a device node; the
     * l*xattr calls behind RootedFs only name it.
     */
    private static String specialFileXattrs(Path p) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (RootedFs fs = RootedFs.open(p.getParent())) {
            String name = p.getFileName().toString();
            for (String key : fs.listXattrs(name)) {
                if (key.startsWith("user.")) {
                    sb.append(" xattr:").append(key).append('=')
                            .append(HexFormat.of().formatHex(fs.getXattr(name, key).orElseThrow()));
                }
            }
        }
        return sb.toString();
    }

    private static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface Visitor {
        void visit(String rel, Path p, BasicFileAttributes attrs) throws IOException;
    }

    private static void walk(Path root, Visitor v) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(root)) {
                    v.visit(root.relativize(dir).toString(), dir, attrs);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                v.visit(root.relativize(file).toString(), file, attrs);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
