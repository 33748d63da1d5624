package dev.strata.image.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@link TreeReader} on plain NIO with {@code NOFOLLOW_LINKS}. The trees it reads are Strata's own directories, so
 * path-based access is acceptable here (writes are another matter, see RootedFs). Limitation: NIO only exposes the
 * {@code user.*} xattr namespace, and only on regular files and directories (opening anything else to read its
 * xattrs could block on a FIFO); {@code security.capability} and {@code trusted.*} need the native reader.
 */
final class NioTreeReader implements TreeReader {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private final Path root;

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
        if (meta.type() != NodeType.REGULAR && meta.type() != NodeType.DIRECTORY) {
            return Collections.emptySortedMap();
        }
        UserDefinedFileAttributeView view =
                Files.getFileAttributeView(resolve(rel), UserDefinedFileAttributeView.class, NOFOLLOW);
        if (view == null) {
            return Collections.emptySortedMap();
        }
        List<String> names;
        try {
            names = view.list();
        } catch (UnsupportedOperationException e) {
            return Collections.emptySortedMap();
        }
        SortedMap<String, byte[]> out = new TreeMap<>();
        for (String n : names) {
            ByteBuffer buf = ByteBuffer.allocate(view.size(n));
            view.read(n, buf);
            byte[] value = new byte[buf.flip().remaining()];
            buf.get(value);
            out.put("user." + n, value);
        }
        return out;
    }

    @Override
    public InputStream open(String rel) throws IOException {
        return Channels.newInputStream(Files.newByteChannel(resolve(rel), StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS));
    }
}
