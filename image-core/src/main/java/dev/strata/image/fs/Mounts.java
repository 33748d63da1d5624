package dev.strata.image.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Mounting and unmounting for storage drivers: the new mount API ({@code fsopen}/{@code fsconfig}/{@code fsmount}/
 * {@code move_mount}), legacy {@code mount(2)}, {@code umount2(2)}, and the mount points below a directory. Failures
 * are {@link RootedFsException}s carrying the errno (callers branch on ENOSYS/EINVAL to fall back) and, for the new
 * API, the kernel's own messages from the file system context.
 */
public final class Mounts {
    /** Legacy mount(2) copies one page of options; the terminating NUL counts. */
    public static final int MAX_LEGACY_OPTIONS = 4095;

    private Mounts() {
    }

    /**
     * One {@code fsconfig} parameter: {@code FSCONFIG_SET_STRING key=value}, or {@code FSCONFIG_SET_FLAG key} when
     * {@code value} is null.
     */
    public record Param(String key, String value) {
        public Param {
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * Creates a {@code fsType} file system with the new mount API, setting {@code params} in order, and attaches it at
     * {@code target}. Nothing stays mounted when this throws.
     *
     * @throws RootedFsException with errno ENOSYS when the kernel has no new mount API, or the errno of the failed
     *                           step (the message names the step, the parameter and the kernel's log)
     */
    public static void mountFsContext(String fsType, List<Param> params, Path target) throws IOException {
        Native.LinuxLibc libc = Native.libc();
        String where = target.toAbsolutePath().toString();
        int fsfd = (int) libc.sysFsopen(Native.SYS_FSOPEN, Native.cstr(fsType), Native.FSOPEN_CLOEXEC);
        if (fsfd < 0) {
            throw failure(Native.errno(), "fsopen " + fsType, where, -1);
        }
        try {
            for (Param p : params) {
                long rc = p.value() == null
                        ? libc.sysFsconfig(Native.SYS_FSCONFIG, fsfd, Native.FSCONFIG_SET_FLAG, Native.cstr(p.key()),
                        null, 0)
                        : libc.sysFsconfig(Native.SYS_FSCONFIG, fsfd, Native.FSCONFIG_SET_STRING,
                        Native.cstr(p.key()), Native.cstr(p.value()), 0);
                if (rc < 0) {
                    throw failure(Native.errno(), "fsconfig " + p.key() + (p.value() == null ? "" : "=" + p.value()),
                            where, fsfd);
                }
            }
            if (libc.sysFsconfig(Native.SYS_FSCONFIG, fsfd, Native.FSCONFIG_CMD_CREATE, null, null, 0) < 0) {
                throw failure(Native.errno(), "fsconfig create " + fsType, where, fsfd);
            }
            int mfd = (int) libc.sysFsmount(Native.SYS_FSMOUNT, fsfd, Native.FSMOUNT_CLOEXEC, 0);
            if (mfd < 0) {
                throw failure(Native.errno(), "fsmount " + fsType, where, fsfd);
            }
            try {
                if (libc.sysMoveMount(Native.SYS_MOVE_MOUNT, mfd, Native.EMPTY, Native.AT_FDCWD, Native.cstr(where),
                        Native.MOVE_MOUNT_F_EMPTY_PATH) < 0) {
                    throw failure(Native.errno(), "move_mount", where, -1);
                }
            } finally {
                libc.close(mfd); // a detached mount that was never moved is freed with its last fd
            }
        } finally {
            libc.close(fsfd);
        }
    }

    /**
     * Whether the kernel's {@code fsType} accepts parameter {@code p} through the new mount API (e.g. overlay's
     * {@code lowerdir+}, Linux 6.8+). Sets it on a scratch context that is never created: no side effects.
     */
    public static boolean fsContextAccepts(String fsType, Param p) {
        Native.LinuxLibc libc = Native.libc();
        int fsfd = (int) libc.sysFsopen(Native.SYS_FSOPEN, Native.cstr(fsType), Native.FSOPEN_CLOEXEC);
        if (fsfd < 0) {
            return false;
        }
        try {
            long rc = p.value() == null
                    ? libc.sysFsconfig(Native.SYS_FSCONFIG, fsfd, Native.FSCONFIG_SET_FLAG, Native.cstr(p.key()), null, 0)
                    : libc.sysFsconfig(Native.SYS_FSCONFIG, fsfd, Native.FSCONFIG_SET_STRING, Native.cstr(p.key()),
                    Native.cstr(p.value()), 0);
            return rc >= 0;
        } finally {
            libc.close(fsfd);
        }
    }

    /**
     * Legacy {@code mount(source, target, fsType, 0, data)}.
     *
     * @throws IllegalArgumentException when {@code data} is longer than {@link #MAX_LEGACY_OPTIONS} bytes: the kernel
     *                                  would cut it silently
     */
    public static void mount(String source, Path target, String fsType, String data) throws IOException {
        byte[] d = Native.cstr(data);
        if (d.length - 1 > MAX_LEGACY_OPTIONS) {
            throw new IllegalArgumentException("mount options for " + target + " need " + (d.length - 1)
                    + " bytes; mount(2) takes at most " + MAX_LEGACY_OPTIONS);
        }
        String where = target.toAbsolutePath().toString();
        if (Native.libc().mount(Native.cstr(source), Native.cstr(where), Native.cstr(fsType), 0, d) < 0) {
            int errno = Native.errno();
            throw new RootedFsException(where, errno, Errno.name(errno), "mount -t " + fsType + ": "
                    + Errno.name(errno) + " (" + Native.strerror(errno) + ")");
        }
    }

    /** {@code umount2(target, detach ? MNT_DETACH : 0)}. */
    public static void unmount(Path target, boolean detach) throws IOException {
        String where = target.toAbsolutePath().toString();
        if (Native.libc().umount2(Native.cstr(where), detach ? Native.MNT_DETACH : 0) < 0) {
            int errno = Native.errno();
            throw new RootedFsException(where, errno, Errno.name(errno), "umount: " + Errno.name(errno) + " ("
                    + Native.strerror(errno) + ")");
        }
    }

    /** Mount points at or below {@code dir} in this process's mount namespace, deepest first (unmount order). */
    public static List<Path> mountPointsUnder(Path dir) throws IOException {
        String prefix = dir.toAbsolutePath().normalize().toString();
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            if (f.length > 4) {
                String mp = unescape(f[4]);
                if (mp.equals(prefix) || mp.startsWith(prefix.endsWith("/") ? prefix : prefix + "/")) {
                    out.add(Path.of(mp));
                }
            }
        }
        out.sort((a, b) -> Integer.compare(b.getNameCount(), a.getNameCount()));
        return out;
    }

    /** mountinfo escapes space, tab, newline and backslash as {@code \ooo}. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException | IndexOutOfBoundsException e) {
                    // not an escape: keep the backslash
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** The exception for a failed step, with the messages the kernel logged on the fs context fd. */
    private static RootedFsException failure(int errno, String step, String where, int fsfd) {
        StringBuilder msg = new StringBuilder(step).append(": ").append(Errno.name(errno)).append(" (")
                .append(Native.strerror(errno)).append(')');
        if (fsfd >= 0) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1024);
            for (int i = 0; i < 8; i++) {
                buf.clear();
                long n = Native.libc().read(fsfd, buf, buf.capacity());
                if (n <= 0) {
                    break;
                }
                byte[] b = new byte[(int) n];
                buf.get(0, b);
                msg.append("; kernel: ").append(new String(b, StandardCharsets.UTF_8).trim());
            }
        }
        return new RootedFsException(where, errno, Errno.name(errno), msg.toString());
    }
}
