package dev.strata.image.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;

/**
 * {@code statx(2)} with its architecture-independent 256-byte {@code struct statx}; used instead of {@code fstatat}
 * whose {@code struct stat} differs between x86_64 and aarch64.
 */
final class Statx {
    private static final int SIZE = 256;
    private static final ThreadLocal<ByteBuffer> BUF =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(SIZE).order(ByteOrder.nativeOrder()));

    private Statx() {}

    /** lstat of {@code name} in {@code dirfd} ({@code name} empty: the fd itself, which may be O_PATH). */
    static FileStat lstat(int dirfd, byte[] name, String op, String display) throws IOException {
        ByteBuffer b = call(dirfd, name, Native.STATX_BASIC_STATS, op, display);
        int mode = Short.toUnsignedInt(b.getShort(28));
        return new FileStat(
                FileType.ofMode(mode),
                mode & 07777,
                b.getInt(20),
                b.getInt(24),
                b.getLong(40),
                Integer.toUnsignedLong(b.getInt(16)),
                Native.makedev(Integer.toUnsignedLong(b.getInt(136)), Integer.toUnsignedLong(b.getInt(140))),
                b.getLong(32),
                b.getInt(128),
                b.getInt(132),
                time(b, 64),
                time(b, 112),
                time(b, 96));
    }

    /** Only the S_IF* type and permission bits of the object {@code fd} (an O_PATH fd is fine). */
    static int mode(int fd, String op, String display) throws IOException {
        return mode(fd, Native.EMPTY, op, display);
    }

    /** Only the S_IF* type and permission bits of {@code name} in {@code dirfd}, not following it. */
    static int mode(int dirfd, byte[] name, String op, String display) throws IOException {
        ByteBuffer b = call(dirfd, name, 0x1 /* STATX_TYPE */ | 0x2 /* STATX_MODE */, op, display);
        return Short.toUnsignedInt(b.getShort(28));
    }

    private static ByteBuffer call(int dirfd, byte[] name, int mask, String op, String display)
            throws IOException {
        ByteBuffer b = BUF.get();
        int flags = Native.AT_SYMLINK_NOFOLLOW | (name.length == 1 ? Native.AT_EMPTY_PATH : 0);
        if (Native.libc().statx(dirfd, name, flags, mask, b) != 0) {
            throw Errno.exception(Native.errno(), op, display);
        }
        return b;
    }

    private static Instant time(ByteBuffer b, int off) {
        return Instant.ofEpochSecond(b.getLong(off), Integer.toUnsignedLong(b.getInt(off + 8)));
    }
}
