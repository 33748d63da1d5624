package dev.strata.image.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Reads a directory fd with {@code getdents64}: {@code struct linux_dirent64 {u64 ino; s64 off; u16 reclen; u8 type; char name[];}}. */
final class Dirents {
    private static final ThreadLocal<ByteBuffer> BUF =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(32 * 1024).order(ByteOrder.nativeOrder()));

    private Dirents() {}

    /** The names in the directory {@code dirfd} (O_PATH is fine: it is reopened to read it), in byte order. */
    static List<String> listSorted(int dirfd, String display) throws IOException {
        int fd = Native.libc().openat(dirfd, Native.DOT, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.exception(Native.errno(), "list", display);
        }
        try {
            List<String> names = read(fd, display);
            names.sort((a, b) -> FileNames.compare(a, b, false));
            return names;
        } finally {
            Native.closeQuietly(fd);
        }
    }

    /** All names in the open (O_RDONLY) directory {@code fd}, except {@code .} and {@code ..}, in directory order. */
    static List<String> read(int fd, String display) throws IOException {
        List<String> names = new ArrayList<>();
        ByteBuffer b = BUF.get();
        byte[] name = new byte[256];
        while (true) {
            b.clear();
            long n = Native.libc().getdents64(fd, b, b.capacity());
            if (n < 0) {
                int errno = Native.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                throw Errno.exception(errno, "list", display);
            }
            if (n == 0) {
                return names;
            }
            int off = 0;
            while (off < n) {
                int reclen = Short.toUnsignedInt(b.getShort(off + 16));
                int len = 0;
                while (b.get(off + 19 + len) != 0) {
                    if (len == name.length) {
                        name = java.util.Arrays.copyOf(name, name.length * 2);
                    }
                    name[len] = b.get(off + 19 + len);
                    len++;
                }
                boolean dot = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
                if (!dot) {
                    names.add(FileNames.decode(name, 0, len));
                }
                off += reclen;
            }
        }
    }
}
