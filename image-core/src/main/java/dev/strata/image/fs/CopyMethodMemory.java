package dev.strata.image.fs;

import dev.strata.image.fs.TreeCopier.Method;

/**
 * Which copy methods the target file system refused, so that each is tried only until it fails once, and which
 * method copied the last file. One per {@link TreeCopier}, shared by the walk and the content thread (hence
 * volatile), and kept across copies.
 */
final class CopyMethodMemory {
    volatile boolean tryReflink = true;
    volatile boolean tryCopyFileRange = true;
    volatile Method lastMethod;
}
