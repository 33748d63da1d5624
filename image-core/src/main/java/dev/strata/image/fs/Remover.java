package dev.strata.image.fs;

import dev.strata.image.fs.Native.LinuxLibc;

import java.io.IOException;
import java.util.List;

/**
 * Recursive delete relative to directory fds. Each subdirectory is entered with
 * {@code openat(O_DIRECTORY|O_NOFOLLOW)}, so a symlink (even one swapped in concurrently) is unlinked as a name and
 * never entered; nothing outside the starting directory can be reached.
 */
final class Remover {
    private static final int MAX_RETRIES = 16;

    private Remover() {}

    /** Removes {@code name} in directory {@code dfd}; missing is fine. */
    static void remove(int dfd, String name, String display) throws IOException {
        LinuxLibc libc = Native.libc();
        byte[] cname = Native.cstr(name);
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            if (libc.unlinkat(dfd, cname, 0) == 0) {
                return;
            }
            int errno = Native.errno();
            if (errno == Errno.ENOENT) {
                return;
            }
            if (errno != Errno.EISDIR && errno != Errno.EPERM) {
                throw Errno.exception(errno, "removeAll", display);
            }
            int sub = libc.openat(dfd, cname, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW
                    | Native.O_CLOEXEC | Native.O_NONBLOCK, 0);
            if (sub < 0) {
                int e = Native.errno();
                if (e == Errno.ENOENT) {
                    return;
                }
                if (e == Errno.ENOTDIR || e == Errno.ELOOP) {
                    continue; // swapped for a non-directory meanwhile: unlink that instead
                }
                if (errno == Errno.EPERM) {
                    throw Errno.exception(Errno.EPERM, "removeAll", display);
                }
                throw Errno.exception(e, "removeAll", display);
            }
            try {
                List<String> children = Dirents.read(sub, display);
                for (String child : children) {
                    remove(sub, child, display + "/" + child);
                }
            } finally {
                Native.closeQuietly(sub);
            }
            if (libc.unlinkat(dfd, cname, Native.AT_REMOVEDIR) == 0) {
                return;
            }
            int e = Native.errno();
            if (e == Errno.ENOENT) {
                return;
            }
            if (e != Errno.ENOTEMPTY && e != Errno.ENOTDIR) {
                throw Errno.exception(e, "removeAll", display);
            }
            // something was added or swapped meanwhile: go round again
        }
        throw Errno.exception(Errno.ENOTEMPTY, "removeAll (kept changing)", display);
    }
}
