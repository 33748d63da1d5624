package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The path-based xattr reads, always on a {@code /proc/self/fd/...} path of this package: {@code follow} false uses
 * the l-variants (the final name itself, as {@code /proc/self/fd/<dir>/<name>}), true the plain ones (for
 * {@code /proc/self/fd/<fd>}, where following the magic link lands on exactly the inode of that fd, a symlink
 * included). Both retry when the value or list grew between the size query and the read (ERANGE).
 */
final class XattrCalls {
    private static final int MAX_ATTEMPTS = 8;

    private XattrCalls() {}

    /** The names of the attributes at {@code path}, sorted. */
    static List<String> list(byte[] path, boolean follow, String op, String display) throws IOException {
        LinuxLibc libc = Native.libc();
        for (int attempt = 0; ; attempt++) {
            long size = follow ? libc.listxattr(path, null, 0) : libc.llistxattr(path, null, 0);
            if (size >= 0) {
                byte[] buf = new byte[(int) size];
                long n = size == 0 ? 0 : follow ? libc.listxattr(path, buf, size) : libc.llistxattr(path, buf, size);
                if (n >= 0) {
                    List<String> names = new ArrayList<>();
                    int start = 0;
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == 0) {
                            names.add(FileNames.decode(buf, start, i - start));
                            start = i + 1;
                        }
                    }
                    Collections.sort(names);
                    return names;
                }
            }
            int errno = Native.errno();
            if (errno != Errno.ERANGE || attempt > MAX_ATTEMPTS) {
                throw RootedFs.procError(errno, op, display);
            }
        }
    }

    /** The value of attribute {@code key} (NUL-terminated) at {@code path}, or empty when there is none. */
    static Optional<byte[]> get(byte[] path, byte[] key, boolean follow, String op, String display)
            throws IOException {
        LinuxLibc libc = Native.libc();
        for (int attempt = 0; ; attempt++) {
            long size = follow ? libc.getxattr(path, key, null, 0) : libc.lgetxattr(path, key, null, 0);
            if (size >= 0) {
                byte[] v = new byte[(int) size];
                long n = size == 0 ? 0
                        : follow ? libc.getxattr(path, key, v, size) : libc.lgetxattr(path, key, v, size);
                if (n >= 0) {
                    return Optional.of(n == size ? v : Arrays.copyOf(v, (int) n));
                }
            }
            int errno = Native.errno();
            if (errno == Errno.ENODATA) {
                return Optional.empty();
            }
            if (errno != Errno.ERANGE || attempt > MAX_ATTEMPTS) {
                throw RootedFs.procError(errno, op, display);
            }
        }
    }
}
