package dev.strata.image.fs;

import java.nio.ByteBuffer;

/**
 * What statx said about one source object during a {@link TreeCopier} copy. Mutable and reused (one for files, one
 * per directory on the walk) rather than a record: a copy reads it once per entry and must not allocate per entry.
 */
final class EntryMeta {
    int mode; // S_IF* type bits and permission bits
    int uid;
    int gid;
    long size;
    long blocks;
    long nlink;
    long dev;
    long ino;
    long rdev;
    long atimeSec;
    long atimeNsec;
    long mtimeSec;
    long mtimeNsec;

    /** Fills this from a 256-byte {@code struct statx} (one layout on every architecture). */
    void read(ByteBuffer b) {
        nlink = Integer.toUnsignedLong(b.getInt(16));
        uid = b.getInt(20);
        gid = b.getInt(24);
        mode = Short.toUnsignedInt(b.getShort(28));
        ino = b.getLong(32);
        size = b.getLong(40);
        blocks = b.getLong(48);
        atimeSec = b.getLong(64);
        atimeNsec = Integer.toUnsignedLong(b.getInt(72));
        mtimeSec = b.getLong(112);
        mtimeNsec = Integer.toUnsignedLong(b.getInt(120));
        rdev = Native.makedev(Integer.toUnsignedLong(b.getInt(128)), Integer.toUnsignedLong(b.getInt(132)));
        dev = Native.makedev(Integer.toUnsignedLong(b.getInt(136)), Integer.toUnsignedLong(b.getInt(140)));
    }

    int type() {
        return mode & Native.S_IFMT;
    }

    int perms() {
        return mode & 07777;
    }
}
