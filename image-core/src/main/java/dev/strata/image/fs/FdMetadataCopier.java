package dev.strata.image.fs;

import static dev.strata.image.fs.WalkFrame.display;
import static dev.strata.image.fs.WalkFrame.str;

import dev.strata.image.fs.Native.LinuxLibc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Gives a copy made by a {@link TreeCopier} the owner, xattrs, mode and times of its source: on open fds for files
 * and directories, by name relative to the directory fds (never following) for symlinks, devices and FIFOs.
 *
 * <p>Order: chown before xattrs and chmod, because chown clears setuid/setgid and {@code security.capability};
 * times last. One instance per thread (it owns its buffers): the walk has one, the content thread another.
 */
final class FdMetadataCopier {
    /** XATTR_LIST_MAX and XATTR_SIZE_MAX: no list or value can be larger. */
    private static final int XATTR_MAX = 65536;

    private final LinuxLibc libc = Native.libc();
    private final boolean chownAlways;
    private final int euid;
    private final int egid;
    private final ByteBuffer xattrList = direct(XATTR_MAX);
    private final ByteBuffer xattrValue = direct(XATTR_MAX);
    private final ByteBuffer times = direct(32);

    FdMetadataCopier(boolean chownAlways, int euid, int egid) {
        this.chownAlways = chownAlways;
        this.euid = euid;
        this.egid = egid;
    }

    /** Owner, xattrs, mode, times of the open copy {@code out} from the open source {@code in}. */
    void copy(int in, int out, EntryMeta m, WalkFrame dir, byte[] name) throws IOException {
        // Our own new files are already ours: chown only when it changes something (always as root, where a
        // file system may map owners, and when a setgid target could have given them another group).
        if (needsChown(m) && libc.fchown(out, m.uid, m.gid) != 0) {
            throw Errno.exception(Native.errno(), "tree copy: chown", display(dir, name));
        }
        copyXattrs(in, out, dir, name);
        if (libc.fchmod(out, m.perms()) != 0) {
            throw Errno.exception(Native.errno(), "tree copy: chmod", display(dir, name));
        }
        putTimes(m);
        if (libc.futimens(out, times) != 0) {
            throw Errno.exception(Native.errno(), "tree copy: set times", display(dir, name));
        }
    }

    /**
     * Owner, xattrs, mode (not for a symlink, which has none) and times of the new symlink, device or FIFO
     * {@code name} in {@code dir}, which are never opened.
     */
    void copyByName(WalkFrame dir, byte[] name, EntryMeta m, RootedFs dst) throws IOException {
        if (needsChown(m) && libc.fchownat(dir.dstFd, name, m.uid, m.gid, Native.AT_SYMLINK_NOFOLLOW) != 0) {
            throw Errno.exception(Native.errno(), "tree copy: chown", display(dir, name));
        }
        copyXattrsByName(dir, name);
        if (m.type() != Native.S_IFLNK) {
            dst.chmodAt(dir.dstFd, name, m.perms(), display(dir, name));
        }
        putTimes(m);
        if (libc.utimensat(dir.dstFd, name, times, Native.AT_SYMLINK_NOFOLLOW) != 0) {
            throw Errno.exception(Native.errno(), "tree copy: set times", display(dir, name));
        }
    }

    /** Whether the copy, created by us, must be chowned to get the source's owner. */
    private boolean needsChown(EntryMeta m) {
        return chownAlways || m.uid != euid || m.gid != egid;
    }

    private void putTimes(EntryMeta m) {
        times.putLong(0, m.atimeSec).putLong(8, m.atimeNsec).putLong(16, m.mtimeSec).putLong(24, m.mtimeNsec);
    }

    /** Xattrs fd to fd: one flistxattr, which finds nothing for almost every file. */
    private void copyXattrs(int in, int out, WalkFrame dir, byte[] name) throws IOException {
        long n = libc.flistxattr(in, xattrList, XATTR_MAX);
        if (n < 0) {
            int errno = Native.errno();
            if (errno == Errno.EOPNOTSUPP) {
                return; // the source file system has none
            }
            throw Errno.exception(errno, "tree copy: list xattrs", display(dir, name));
        }
        for (byte[] key : keys(n)) {
            long size = libc.fgetxattr(in, key, xattrValue, XATTR_MAX);
            if (size < 0) {
                if (Native.errno() == Errno.ENODATA) {
                    continue; // removed meanwhile
                }
                throw Errno.exception(Native.errno(), "tree copy: get xattr " + str(key), display(dir, name));
            }
            byte[] value = new byte[(int) size];
            xattrValue.get(0, value);
            if (libc.fsetxattr(out, key, value, value.length, 0) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: set xattr " + str(key), display(dir, name));
            }
        }
    }

    /** Xattrs of a symlink or device node, reached through {@code /proc/self/fd/<dirfd>/<name>}. */
    private void copyXattrsByName(WalkFrame dir, byte[] name) throws IOException {
        byte[] from = RootedFs.procPath(dir.srcFd, name);
        long size = libc.llistxattr(from, null, 0);
        if (size == 0) {
            return;
        }
        byte[] list = new byte[XATTR_MAX];
        long n = size < 0 ? size : libc.llistxattr(from, list, XATTR_MAX);
        if (n < 0) {
            int errno = Native.errno();
            if (errno == Errno.EOPNOTSUPP) {
                return;
            }
            throw RootedFs.procError(errno, "tree copy: list xattrs", display(dir, name));
        }
        xattrList.put(0, list, 0, (int) n);
        byte[] to = RootedFs.procPath(dir.dstFd, name);
        byte[] value = new byte[XATTR_MAX];
        for (byte[] key : keys(n)) {
            long len = libc.lgetxattr(from, key, value, XATTR_MAX);
            if (len < 0) {
                if (Native.errno() == Errno.ENODATA) {
                    continue;
                }
                throw RootedFs.procError(Native.errno(), "tree copy: get xattr " + str(key), display(dir, name));
            }
            if (libc.lsetxattr(to, key, Arrays.copyOf(value, (int) len), len, 0) != 0) {
                throw RootedFs.procError(Native.errno(), "tree copy: set xattr " + str(key), display(dir, name));
            }
        }
    }

    /** The NUL-terminated names in the first {@code n} bytes of {@link #xattrList}. */
    private List<byte[]> keys(long n) {
        if (n == 0) {
            return List.of();
        }
        List<byte[]> keys = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (xattrList.get(i) == 0) {
                byte[] key = new byte[i - start + 1];
                xattrList.get(start, key, 0, i - start);
                keys.add(key);
                start = i + 1;
            }
        }
        return keys;
    }

    private static ByteBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }
}
