package dev.strata.image.fs;

import java.time.Instant;

/**
 * What {@code lstat} says about one object under a {@link RootedFs} root.
 *
 * @param type        the kind of object (a symlink is reported as itself)
 * @param mode        permission bits plus setuid (04000), setgid (02000) and sticky (01000); no type bits
 * @param uid         owner user id
 * @param gid         owner group id
 * @param size        size in bytes (for a symlink: the length of its target)
 * @param nlink       number of hard links
 * @param dev         the device the object lives on (with {@code ino}, identifies hard links)
 * @param ino         inode number
 * @param rdevMajor   major number of a character or block device, else 0
 * @param rdevMinor   minor number of a character or block device, else 0
 * @param atime       last access, nanosecond precision
 * @param mtime       last modification, nanosecond precision
 * @param ctime       last status change, nanosecond precision
 */
public record FileStat(
        FileType type,
        int mode,
        int uid,
        int gid,
        long size,
        long nlink,
        long dev,
        long ino,
        int rdevMajor,
        int rdevMinor,
        Instant atime,
        Instant mtime,
        Instant ctime) {

    public boolean isDirectory() {
        return type == FileType.DIRECTORY;
    }

    public boolean isSymlink() {
        return type == FileType.SYMLINK;
    }

    public boolean isRegularFile() {
        return type == FileType.REGULAR;
    }
}
