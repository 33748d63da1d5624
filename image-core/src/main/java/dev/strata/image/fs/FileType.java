package dev.strata.image.fs;

/** The kind of a file system object, as {@code lstat} reports it (symlinks are never followed). */
public enum FileType {
    REGULAR,
    DIRECTORY,
    SYMLINK,
    CHAR_DEVICE,
    BLOCK_DEVICE,
    FIFO,
    SOCKET;

    static FileType ofMode(int mode) {
        return switch (mode & Native.S_IFMT) {
            case Native.S_IFREG -> REGULAR;
            case Native.S_IFDIR -> DIRECTORY;
            case Native.S_IFLNK -> SYMLINK;
            case Native.S_IFCHR -> CHAR_DEVICE;
            case Native.S_IFBLK -> BLOCK_DEVICE;
            case Native.S_IFIFO -> FIFO;
            case Native.S_IFSOCK -> SOCKET;
            default -> throw new IllegalStateException("unknown file type in mode 0" + Integer.toOctalString(mode));
        };
    }

    /** The S_IF* bits of this type, for mknod. */
    int modeBits() {
        return switch (this) {
            case REGULAR -> Native.S_IFREG;
            case DIRECTORY -> Native.S_IFDIR;
            case SYMLINK -> Native.S_IFLNK;
            case CHAR_DEVICE -> Native.S_IFCHR;
            case BLOCK_DEVICE -> Native.S_IFBLK;
            case FIFO -> Native.S_IFIFO;
            case SOCKET -> Native.S_IFSOCK;
        };
    }
}
