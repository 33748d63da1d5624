package dev.strata.image.fs;

import static dev.strata.image.fs.WalkFrame.display;

import dev.strata.image.fs.Native.LinuxLibc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One {@link TreeCopier} copy: walks the source with {@code getdents64} from an open directory fd, creates each entry
 * in the copy with an {@code *at()} call that does not follow, and finishes each directory post-order. Holds a stack
 * of {@link WalkFrame}s of which only the innermost {@link TreeCopier#KEEP_OPEN} keep their fds. Use once, and call
 * {@link #closeAll()} whatever happens.
 */
final class TreeWalk {
    private static final int DT_UNKNOWN = 0;
    private static final int DT_FIFO = 1;
    private static final int DT_CHR = 2;
    private static final int DT_DIR = 4;
    private static final int DT_BLK = 6;
    private static final int DT_REG = 8;
    private static final int DT_LNK = 10;
    private static final int DT_SOCK = 12;

    private static final int DIR_OPEN = Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC;
    private static final int FILE_OPEN = Native.O_RDONLY | Native.O_NOFOLLOW | Native.O_CLOEXEC | Native.O_NOCTTY
            | Native.O_NONBLOCK;
    private static final int FILE_CREATE = Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW
            | Native.O_CLOEXEC | Native.O_NOCTTY;

    private final RootedFs dst;
    private final boolean contentThread;
    private final CopyMethodMemory methods;
    private final LinuxLibc libc = Native.libc();
    private final boolean root = libc.geteuid() == 0;
    private final int euid = libc.geteuid();
    private final int egid = libc.getegid();
    private final ByteBuffer statx = direct(256);
    private final ByteBuffer dirents = direct(64 * 1024);
    private final HardLinkGroups links = new HardLinkGroups();
    private final List<WalkFrame> stack = new ArrayList<>();
    /** The walk's own metadata calls (directories, special files, and files when there is no content thread). */
    private FdMetadataCopier metadata;
    /** Fills new files in the walk when there is no content thread. */
    private NewFileFiller filler;
    /** Copies file content and metadata beside the walk, or null to do it in the walk. */
    private ContentCopyThread content;
    private EntryMeta fileMeta = new EntryMeta();

    /** {@code contentThread}: fill files on a second thread; {@code methods}: the copier's, shared by both threads. */
    TreeWalk(RootedFs dst, boolean contentThread, CopyMethodMemory methods) {
        this.dst = dst;
        this.contentThread = contentThread;
        this.methods = methods;
    }

    void copyAll(int srcRoot, int dstRoot) throws IOException {
        WalkFrame top = new WalkFrame(null, new byte[0]);
        top.srcFd = libc.openat(srcRoot, Native.DOT, DIR_OPEN, 0);
        if (top.srcFd < 0) {
            throw Errno.exception(Native.errno(), "tree copy: open source", ".");
        }
        stack.add(top);
        top.dstFd = libc.openat(dstRoot, Native.DOT, DIR_OPEN, 0);
        if (top.dstFd < 0) {
            throw Errno.exception(Native.errno(), "tree copy: open target", ".");
        }
        statFd(top.srcFd, top.meta, null, top.name);
        if (top.meta.type() != Native.S_IFDIR) {
            throw new IOException("tree copy source is not a directory");
        }
        EntryMeta target = new EntryMeta();
        statFd(top.dstFd, target, null, top.name);
        // As root chown always: a file system may map owners. Otherwise only where the owner differs from
        // ours, unless a setgid target root could have given new entries another group.
        boolean chownAlways = root || (target.mode & 02000) != 0;
        metadata = new FdMetadataCopier(chownAlways, euid, egid);
        if (contentThread) {
            content = new ContentCopyThread(new NewFileFiller(new FdContentCopier(methods),
                    new FdMetadataCopier(chownAlways, euid, egid)));
        } else {
            filler = new NewFileFiller(new FdContentCopier(methods), metadata);
        }
        readNames(top);
        while (!stack.isEmpty()) {
            WalkFrame f = stack.get(stack.size() - 1);
            reopen(f);
            if (f.next < f.count) {
                int i = f.next++;
                byte[] name = f.names[i];
                f.names[i] = null;
                copyEntry(f, name, f.types[i]);
            } else {
                metadata.copy(f.srcFd, f.dstFd, f.meta, f.parent, f.name);
                f.closeFds();
                f.names = null;
                f.types = null;
                stack.remove(stack.size() - 1);
            }
        }
        if (content != null) {
            content.finish();
        }
    }

    void closeAll() {
        if (content != null) {
            content.abort();
        }
        for (WalkFrame f : stack) {
            f.closeFds();
        }
        stack.clear();
    }

    private void copyEntry(WalkFrame dir, byte[] name, int dtype) throws IOException {
        if (dtype == DT_UNKNOWN) {
            statx(dir, name);
            dtype = switch (Short.toUnsignedInt(statx.getShort(28)) & Native.S_IFMT) {
                case Native.S_IFDIR -> DT_DIR;
                case Native.S_IFREG -> DT_REG;
                case Native.S_IFLNK -> DT_LNK;
                case Native.S_IFCHR -> DT_CHR;
                case Native.S_IFBLK -> DT_BLK;
                case Native.S_IFIFO -> DT_FIFO;
                default -> DT_SOCK;
            };
        }
        switch (dtype) {
            case DT_DIR -> enterDir(dir, name);
            case DT_REG -> copyFile(dir, name);
            case DT_LNK, DT_CHR, DT_BLK, DT_FIFO -> copySpecial(dir, name);
            default -> { } // sockets: a layer cannot carry them
        }
    }

    private void enterDir(WalkFrame dir, byte[] name) throws IOException {
        WalkFrame child = new WalkFrame(dir, name);
        child.srcFd = libc.openat(dir.srcFd, name, DIR_OPEN, 0);
        if (child.srcFd < 0) {
            throw Errno.exception(Native.errno(), "tree copy: open directory", display(dir, name));
        }
        stack.add(child); // from here on closeAll() releases its fds
        statFd(child.srcFd, child.meta, dir, name);
        if (libc.mkdirat(dir.dstFd, name, 0700) != 0) {
            throw Errno.exception(Native.errno(), "tree copy: mkdir", display(dir, name));
        }
        child.dstFd = libc.openat(dir.dstFd, name, DIR_OPEN, 0);
        if (child.dstFd < 0) {
            throw Errno.exception(Native.errno(), "tree copy: open new directory", display(dir, name));
        }
        readNames(child);
        trimOpen();
    }

    private void copyFile(WalkFrame dir, byte[] name) throws IOException {
        int in = libc.openat(dir.srcFd, name, FILE_OPEN, 0);
        if (in < 0) {
            throw Errno.exception(Native.errno(), "tree copy: open", display(dir, name));
        }
        try {
            EntryMeta m = fileMeta;
            statFd(in, m, dir, name);
            if (m.type() != Native.S_IFREG) { // swapped since getdents: not what we listed
                throw Errno.exception(Errno.EINVAL, "tree copy (not a regular file)", display(dir, name));
            }
            if (m.nlink > 1 && links.linkToFirst(dir, name, m)) {
                return;
            }
            int out = libc.openat(dir.dstFd, name, FILE_CREATE, 0600);
            if (out < 0) {
                throw Errno.exception(Native.errno(), "tree copy: create", display(dir, name));
            }
            if (content != null) {
                content.add(new ContentCopyThread.Job(in, out, m, dir, name)); // it closes both from now on
                in = -1;
                fileMeta = new EntryMeta();
                return;
            }
            filler.fill(in, out, m, dir, name);
        } finally {
            Native.closeQuietly(in);
        }
    }

    /** Symlinks, devices and FIFOs: never opened, so everything is done by name relative to the dir fds. */
    private void copySpecial(WalkFrame dir, byte[] name) throws IOException {
        EntryMeta m = fileMeta;
        statx(dir, name);
        m.read(statx);
        if (m.nlink > 1 && links.linkToFirst(dir, name, m)) {
            return;
        }
        int type = m.type();
        if (type == Native.S_IFLNK) {
            byte[] target = readlink(dir.srcFd, name, m.size, dir);
            if (libc.symlinkat(target, dir.dstFd, name) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: symlink", display(dir, name));
            }
        } else if (type == Native.S_IFCHR || type == Native.S_IFBLK || type == Native.S_IFIFO) {
            if (libc.mknodat(dir.dstFd, name, type | 0600, type == Native.S_IFIFO ? 0 : m.rdev) != 0) {
                throw Errno.exception(Native.errno(), "tree copy: mknod", display(dir, name));
            }
        } else if (type == Native.S_IFSOCK) {
            return;
        } else {
            throw Errno.exception(Errno.EINVAL, "tree copy (changed type while copying)", display(dir, name));
        }
        metadata.copyByName(dir, name, m, dst);
    }

    /**
     * The target of the symlink {@code name} in {@code dirfd}, byte for byte (no charset touches it) and
     * NUL-terminated for symlinkat; {@code size} from lstat is only the first guess.
     */
    private byte[] readlink(int dirfd, byte[] name, long size, WalkFrame dir) throws IOException {
        for (int cap = (int) Math.min(size + 1, 1 << 20); ; cap *= 2) {
            byte[] buf = new byte[cap];
            long n = libc.readlinkat(dirfd, name, buf, cap);
            if (n < 0) {
                throw Errno.exception(Native.errno(), "tree copy: readlink", display(dir, name));
            }
            if (n < cap) {
                byte[] target = Arrays.copyOf(buf, (int) n + 1); // NUL-terminated for symlinkat
                target[(int) n] = 0;
                return target;
            }
            if (cap > 1 << 20) {
                throw Errno.exception(Errno.ERANGE, "tree copy: readlink", display(dir, name));
            }
        }
    }

    /**
     * All names in {@code f}'s source directory (without . and ..) with their getdents type, as bytes. Not
     * {@link Dirents}: that one decodes names to Strings, which would not round-trip every name, and drops the type.
     */
    private void readNames(WalkFrame f) throws IOException {
        ByteBuffer b = dirents;
        while (true) {
            b.clear();
            long n = libc.getdents64(f.srcFd, b, b.capacity());
            if (n < 0) {
                if (Native.errno() == Errno.EINTR) {
                    continue;
                }
                throw Errno.exception(Native.errno(), "tree copy: list", display(f.parent, f.name));
            }
            if (n == 0) {
                return;
            }
            for (int off = 0; off < n; ) {
                int reclen = Short.toUnsignedInt(b.getShort(off + 16));
                int len = 0;
                while (b.get(off + 19 + len) != 0) {
                    len++;
                }
                boolean dot = (len == 1 && b.get(off + 19) == '.')
                        || (len == 2 && b.get(off + 19) == '.' && b.get(off + 20) == '.');
                if (!dot) {
                    byte[] name = new byte[len + 1];
                    b.get(off + 19, name, 0, len);
                    f.add(name, b.get(off + 18));
                }
                off += reclen;
            }
        }
    }

    /** Closes the fds of directories more than {@link TreeCopier#KEEP_OPEN} levels up (never the root's). */
    private void trimOpen() {
        for (int i = stack.size() - 1 - TreeCopier.KEEP_OPEN; i >= 1; i--) {
            WalkFrame f = stack.get(i);
            if (!f.open()) {
                break; // closed ones are all further up
            }
            f.closeFds();
        }
    }

    /** Re-opens {@code f} (and the closed directories above it) by name, as {@link #enterDir} opened them. */
    private void reopen(WalkFrame f) throws IOException {
        if (f.open()) {
            return;
        }
        int first = f.depth;
        while (!stack.get(first - 1).open()) {
            first--;
        }
        for (int i = first; i <= f.depth; i++) {
            WalkFrame c = stack.get(i);
            WalkFrame p = stack.get(i - 1);
            c.srcFd = libc.openat(p.srcFd, c.name, DIR_OPEN, 0);
            if (c.srcFd < 0) {
                throw Errno.exception(Native.errno(), "tree copy: re-open directory", display(p, c.name));
            }
            c.dstFd = libc.openat(p.dstFd, c.name, DIR_OPEN, 0);
            if (c.dstFd < 0) {
                throw Errno.exception(Native.errno(), "tree copy: re-open new directory", display(p, c.name));
            }
        }
        trimOpen();
    }

    /** statx of the open {@code fd}, which is {@code name} in {@code dir} (named only in errors). */
    private void statFd(int fd, EntryMeta m, WalkFrame dir, byte[] name) throws IOException {
        if (libc.statx(fd, Native.EMPTY, Native.AT_EMPTY_PATH | Native.AT_SYMLINK_NOFOLLOW,
                Native.STATX_BASIC_STATS, statx) != 0) {
            throw Errno.exception(Native.errno(), "tree copy: lstat", display(dir, name));
        }
        m.read(statx);
    }

    /** statx of {@code name} in {@code dir}'s source directory, not following it. */
    private void statx(WalkFrame dir, byte[] name) throws IOException {
        if (libc.statx(dir.srcFd, name, Native.AT_SYMLINK_NOFOLLOW, Native.STATX_BASIC_STATS, statx) != 0) {
            throw Errno.exception(Native.errno(), "tree copy: lstat", display(dir, name));
        }
    }

    private static ByteBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }
}
