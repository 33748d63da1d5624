package dev.strata.image.layer;

/** The kinds of tar members a layer may contain, after header folding. */
enum TarType {
    REGULAR,
    HARDLINK,
    SYMLINK,
    CHAR_DEVICE,
    BLOCK_DEVICE,
    DIRECTORY,
    FIFO
}
