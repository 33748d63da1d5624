package dev.strata.image.fs;

import static dev.strata.image.fs.WalkFrame.display;

import dev.strata.image.fs.Native.LinuxLibc;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hard links of a {@link TreeWalk}, grouped by the source's (dev, inode): the first copy of a multiply linked
 * source is made as usual and remembered; every later link of that inode becomes a {@code linkat} to it.
 */
final class HardLinkGroups {
    /** A multiply linked source inode. */
    private record LinkKey(long dev, long ino) {
    }

    /** Where the first copy of a multiply linked source went: later links are made to it. */
    private record Linked(WalkFrame dir, byte[] name) {
    }

    private final LinuxLibc libc = Native.libc();
    private final Map<LinkKey, Linked> linked = new HashMap<>();

    /**
     * If an earlier link of the same source inode was copied, links {@code name} to that copy and returns true;
     * otherwise remembers {@code name} in {@code dir} as the first and returns false (the caller copies it).
     */
    boolean linkToFirst(WalkFrame dir, byte[] name, EntryMeta m) throws IOException {
        LinkKey key = new LinkKey(m.dev, m.ino);
        Linked first = linked.get(key);
        if (first == null) {
            linked.put(key, new Linked(dir, name));
            return false;
        }
        int firstDir = first.dir().dstFd;
        boolean opened = firstDir < 0;
        if (opened) {
            firstDir = openTargetDir(first.dir(), display(dir, name));
        }
        try {
            if (libc.linkat(firstDir, first.name(), dir.dstFd, name, 0) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: hard link to "
                        + display(first.dir(), first.name()), display(dir, name));
            }
        } finally {
            if (opened) {
                Native.closeQuietly(firstDir);
            }
        }
        return true;
    }

    /**
     * An O_PATH fd of the copy of {@code dir} (whose own fd is closed), walked down from the target root, whose fd
     * the walk never closes, without following anything.
     */
    private int openTargetDir(WalkFrame dir, String display) throws IOException {
        List<WalkFrame> chain = new ArrayList<>();
        WalkFrame root = dir;
        for (; root.parent != null; root = root.parent) {
            chain.add(root);
        }
        int fd = libc.openat(root.dstFd, Native.DOT, Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        for (int i = chain.size() - 1; i >= 0 && fd >= 0; i--) {
            int next = libc.openat(fd, chain.get(i).name, Native.O_PATH | Native.O_DIRECTORY
                    | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
            int errno = Native.errno();
            Native.closeQuietly(fd);
            fd = next;
            if (fd < 0) {
                throw Errno.exception(errno, "tree copy: open for hard link", display);
            }
        }
        if (fd < 0) {
            throw Errno.exception(Native.errno(), "tree copy: open for hard link", display);
        }
        return fd;
    }
}
