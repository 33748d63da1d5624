package dev.strata.image.fs;

import java.util.Arrays;

/**
 * A directory on a {@link TreeWalk}: its name in its parent, fds of the source and of the copy (-1 while closed to
 * bound the fds held), its metadata for the post-order finish, and the children still to copy.
 */
final class WalkFrame {
    final WalkFrame parent;
    final byte[] name; // NUL-terminated; empty for the root
    final int depth;
    final EntryMeta meta = new EntryMeta();
    int srcFd = -1;
    int dstFd = -1;
    byte[][] names = new byte[16][];
    byte[] types = new byte[16];
    int count;
    int next;

    WalkFrame(WalkFrame parent, byte[] name) {
        this.parent = parent;
        this.name = name;
        this.depth = parent == null ? 0 : parent.depth + 1;
    }

    void add(byte[] childName, byte type) {
        if (count == names.length) {
            names = Arrays.copyOf(names, count * 2);
            types = Arrays.copyOf(types, count * 2);
        }
        names[count] = childName;
        types[count] = type;
        count++;
    }

    boolean open() {
        return srcFd >= 0;
    }

    void closeFds() {
        Native.closeQuietly(srcFd);
        Native.closeQuietly(dstFd);
        srcFd = -1;
        dstFd = -1;
    }

    /** The path of {@code name} in {@code dir} relative to the roots, for messages only ("." for the root). */
    static String display(WalkFrame dir, byte[] name) {
        StringBuilder sb = new StringBuilder(str(name));
        for (WalkFrame f = dir; f != null && f.parent != null; f = f.parent) {
            sb.insert(0, '/').insert(0, str(f.name));
        }
        return sb.isEmpty() ? "." : sb.toString();
    }

    /** A (possibly NUL-terminated) name as text, for messages only. */
    static String str(byte[] cstr) {
        int len = cstr.length > 0 && cstr[cstr.length - 1] == 0 ? cstr.length - 1 : cstr.length;
        return FileNames.display(FileNames.decode(cstr, 0, len));
    }
}
