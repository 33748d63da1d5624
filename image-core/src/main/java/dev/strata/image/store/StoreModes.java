package dev.strata.image.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * A store is its owner's alone, as containers/storage's graph root is (0700): layers hold every file of every image,
 * secrets and setuid binaries included, and whoever can open {@code store.lock} can lock every command out. The root
 * directory is 0700 and the lock file 0600; a store created with looser modes (Strata before issue 17 made them
 * 0755 and 0644) is tightened when its owner opens it.
 */
final class StoreModes {
    private static final Logger LOG = LoggerFactory.getLogger(StoreModes.class);
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> GROUP_OTHER = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private StoreModes() {
    }

    /**
     * Creates {@code root} 0700 if absent (parents as the umask makes them), tightens it and its lock file if this
     * process's user owns them, and returns its real path.
     */
    static Path createOrTighten(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            Path parent = root.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(root, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // created meanwhile by another process, or not a directory: toRealPath and the opens tell
            }
        }
        Path real = root.toRealPath();
        int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        tighten(real, me, OWNER_ONLY_DIR);
        Path lock = real.resolve(StoreLock.FILE);
        if (Files.isRegularFile(lock, LinkOption.NOFOLLOW_LINKS)) {
            tighten(lock, me, PosixFilePermissions.fromString("rw-------"));
        }
        return real;
    }

    private static void tighten(Path p, int me, Set<PosixFilePermission> target) throws IOException {
        Set<PosixFilePermission> now = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        if ((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) != me
                || now.stream().noneMatch(GROUP_OTHER::contains)) {
            return; // another user's store (theirs to secure), or private already
        }
        LOG.info("restricting {} to its owner: {} -> {}", p, PosixFilePermissions.toString(now),
                PosixFilePermissions.toString(target));
        Files.setPosixFilePermissions(p, target);
    }
}
