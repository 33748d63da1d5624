package dev.strata.image.layer;

/**
 * What {@code lstat} says about one node, the fields a diff compares and a tar header carries.
 *
 * @param permissions the low 12 mode bits (rwx plus setuid, setgid, sticky)
 * @param mtimeSeconds seconds since the epoch
 * @param mtimeNanos nanoseconds within the second, 0-999,999,999
 * @param rdev the encoded device number of a char/block device (Linux {@code makedev} encoding), else 0
 */
record NodeMeta(NodeType type, int permissions, long uid, long gid, long size, long mtimeSeconds, int mtimeNanos,
                long dev, long ino, long rdev, long nlink) {

    boolean isDirectory() {
        return type == NodeType.DIRECTORY;
    }

    boolean sameInode(NodeMeta o) {
        return dev == o.dev && ino == o.ino;
    }

    /** An overlayfs whiteout: a character device 0/0. */
    boolean isOverlayWhiteout() {
        return type == NodeType.CHAR_DEVICE && rdev == 0;
    }

    /** Major number of {@link #rdev} (glibc {@code gnu_dev_major}). */
    long devMajor() {
        return ((rdev >>> 8) & 0xfffL) | ((rdev >>> 32) & ~0xfffL);
    }

    /** Minor number of {@link #rdev} (glibc {@code gnu_dev_minor}). */
    long devMinor() {
        return (rdev & 0xffL) | ((rdev >>> 12) & ~0xffL);
    }
}
