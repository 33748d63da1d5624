package dev.strata.image.layer;

import dev.strata.image.fs.RootedFs;
import dev.strata.image.fs.RootedFsException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@link TreeReader} on plain NIO with {@code NOFOLLOW_LINKS} for stat, listing, links and content (the trees it
 * reads are Strata's own directories, so path-based reads are acceptable), and {@link RootedFs} for xattrs: NIO only
 * sees the {@code user.*} namespace and opens the file to read them (which blocks on a FIFO), while a layer needs
 * {@code security.capability} and an overlay upper's {@code trusted.overlay.*}, read with l*xattr on any node.
 */
final class NioTreeReader implements TreeReader {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final int EOPNOTSUPP = 95;
    private final Path root;
    private RootedFs fs;

    NioTreeReader(Path root) {
        this.root = root;
    }

    private Path resolve(String rel) {
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    @Override
    public NodeMeta lstat(String rel) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(resolve(rel), "unix:*", NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
        int mode = (Integer) a.get("mode");
        Instant mtime = ((FileTime) a.get("lastModifiedTime")).toInstant();
        return new NodeMeta(NodeType.fromMode(mode), mode & 07777, ((Integer) a.get("uid")) & 0xffffffffL,
                ((Integer) a.get("gid")) & 0xffffffffL, (Long) a.get("size"), mtime.getEpochSecond(), mtime.getNano(),
                (Long) a.get("dev"), (Long) a.get("ino"), (Long) a.get("rdev"), (Integer) a.get("nlink"));
    }

    @Override
    public List<String> list(String rel) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(resolve(rel))) {
            for (Path p : ds) {
                names.add(p.getFileName().toString());
            }
        }
        names.sort(Paths.NAME_ORDER);
        return names;
    }

    @Override
    public String readLink(String rel) throws IOException {
        return Files.readSymbolicLink(resolve(rel)).toString();
    }

    @Override
    public SortedMap<String, byte[]> xattrs(String rel, NodeMeta meta) throws IOException {
        if (rel.isEmpty()) {
            return Collections.emptySortedMap(); // the root is never compared nor written
        }
        SortedMap<String, byte[]> out = new TreeMap<>();
        try {
            for (String name : xattrFs().listXattrs(rel)) {
                xattrFs().getXattr(rel, name).ifPresent(v -> out.put(name, v));
            }
        } catch (RootedFsException e) {
            if (e.errno() == EOPNOTSUPP) {
                return Collections.emptySortedMap(); // a file system without xattrs has none to carry
            }
            throw e;
        }
        return out;
    }

    /** Opened on first use: trees without any xattr question never pay for it. */
    private RootedFs xattrFs() throws IOException {
        if (fs == null) {
            fs = RootedFs.open(root);
        }
        return fs;
    }

    @Override
    public void close() {
        if (fs != null) {
            fs.close();
            fs = null;
        }
    }

    @Override
    public InputStream open(String rel) throws IOException {
        return Channels.newInputStream(Files.newByteChannel(resolve(rel), StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS));
    }
}
