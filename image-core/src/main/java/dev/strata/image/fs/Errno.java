package dev.strata.image.fs;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Map;

/** Linux errno values (the generic table shared by x86_64 and aarch64) and their mapping to exceptions. */
final class Errno {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int ENXIO = 6;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int EXDEV = 18;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int E2BIG = 7;
    static final int ERANGE = 34;
    static final int ENOSYS = 38;
    static final int ENOTEMPTY = 39;
    static final int ELOOP = 40;
    static final int ENODATA = 61;
    static final int EOPNOTSUPP = 95;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(4, "EINTR"), Map.entry(5, "EIO"),
            Map.entry(6, "ENXIO"), Map.entry(7, "E2BIG"), Map.entry(9, "EBADF"), Map.entry(11, "EAGAIN"),
            Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(14, "EFAULT"), Map.entry(16, "EBUSY"),
            Map.entry(17, "EEXIST"), Map.entry(18, "EXDEV"), Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"),
            Map.entry(21, "EISDIR"), Map.entry(22, "EINVAL"), Map.entry(23, "ENFILE"), Map.entry(24, "EMFILE"),
            Map.entry(25, "ENOTTY"), Map.entry(26, "ETXTBSY"), Map.entry(27, "EFBIG"), Map.entry(28, "ENOSPC"),
            Map.entry(30, "EROFS"), Map.entry(31, "EMLINK"), Map.entry(34, "ERANGE"),
            Map.entry(36, "ENAMETOOLONG"), Map.entry(38, "ENOSYS"), Map.entry(39, "ENOTEMPTY"),
            Map.entry(40, "ELOOP"), Map.entry(61, "ENODATA"), Map.entry(95, "EOPNOTSUPP"),
            Map.entry(122, "EDQUOT"));

    private Errno() {}

    static String name(int errno) {
        return NAMES.getOrDefault(errno, "errno " + errno);
    }

    /**
     * The exception for a failed {@code op} on {@code path} (relative to the root): {@link NoSuchFileException} and
     * {@link FileAlreadyExistsException} where callers commonly branch on them, {@link RootedFsException} otherwise.
     */
    static IOException exception(int errno, String op, String path) {
        String reason = op + ": " + name(errno) + " (" + Native.strerror(errno) + ")";
        return switch (errno) {
            case ENOENT -> new NoSuchFileException(path, null, reason);
            case EEXIST -> new FileAlreadyExistsException(path, null, reason);
            default -> new RootedFsException(path, errno, name(errno), reason);
        };
    }
}
