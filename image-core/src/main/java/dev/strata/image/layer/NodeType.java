package dev.strata.image.layer;

/** The kind of a file system node, from the {@code S_IFMT} bits of its mode. */
enum NodeType {
    REGULAR, DIRECTORY, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO, SOCKET;

    static NodeType fromMode(int mode) {
        switch (mode & 0170000) {
            case 0100000: return REGULAR;
            case 0040000: return DIRECTORY;
            case 0120000: return SYMLINK;
            case 0020000: return CHAR_DEVICE;
            case 0060000: return BLOCK_DEVICE;
            case 0010000: return FIFO;
            case 0140000: return SOCKET;
            default: throw new IllegalArgumentException("unknown file type in mode 0" + Integer.toOctalString(mode));
        }
    }
}
