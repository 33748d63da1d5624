package dev.strata.image.fs;

import java.nio.file.FileSystemException;

/**
 * A system call under a {@link RootedFs} root failed. {@link #getFile()} is the path relative to the root,
 * {@link #errno()} the Linux error number and {@link #errnoName()} its symbolic name ({@code ELOOP}, {@code ENOTDIR},
 * ...). ENOENT and EEXIST are reported as {@link java.nio.file.NoSuchFileException} and
 * {@link java.nio.file.FileAlreadyExistsException} instead.
 */
public class RootedFsException extends FileSystemException {
    private final int errno;
    private final String errnoName;

    public RootedFsException(String path, int errno, String errnoName, String reason) {
        super(path, null, reason);
        this.errno = errno;
        this.errnoName = errnoName;
    }

    public int errno() {
        return errno;
    }

    public String errnoName() {
        return errnoName;
    }
}
