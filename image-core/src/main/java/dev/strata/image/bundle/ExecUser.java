package dev.strata.image.bundle;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The ids a container's process runs with, resolved from an image's {@code USER} against the rootfs's
 * {@code /etc/passwd} and {@code /etc/group} as runc's libcontainer ({@code user.GetExecUser}) and Docker resolve
 * them: {@code user}, {@code uid}, {@code user:group}, {@code uid:gid} (names or numbers on either side). A number
 * with no entry is used as it is; a name with no entry is an error. Supplementary groups are those of
 * {@code /etc/group} that list the user by name, and only when no group was given.
 *
 * @param additionalGids supplementary group ids, in {@code /etc/group} order
 * @param home           the user's home directory from {@code /etc/passwd}, {@code /} when there is none
 */
public record ExecUser(long uid, long gid, List<Long> additionalGids, String home) {
    /** root: uid 0, gid 0, no supplementary groups, home {@code /}: what an empty {@code USER} means. */
    public static final ExecUser ROOT = new ExecUser(0, 0, List.of(), "/");

    public ExecUser {
        additionalGids = List.copyOf(additionalGids);
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("negative id: " + uid + ":" + gid);
        }
    }

    /**
     * Resolves {@code spec} (an image's {@code USER}; null or empty means root) in {@code rootfs}. The two files are
     * read inside the root: a symlink among them is resolved as if chrooted to {@code rootfs} (as
     * {@code openat2(RESOLVE_IN_ROOT)} does), never on the host; each is read up to 1 MiB. A missing file is an
     * empty database (so a numeric user works in an image without {@code /etc/passwd}).
     *
     * @throws dev.strata.image.NotFoundException when a named user or group is not in the rootfs's files
     * @throws dev.strata.image.InvalidImageException when a file is not a regular file, is too large, or an id is
     *                                                out of range
     */
    public static ExecUser resolve(Path rootfs, String spec) throws IOException {
        return UserResolver.resolve(rootfs, spec);
    }
}
