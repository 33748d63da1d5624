package dev.strata.image.store;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.fs.FileStat;
import dev.strata.image.fs.FileType;
import dev.strata.image.fs.RootedFs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A directory built under a hidden name next to its final one and renamed into place only when complete, so a
 * failed unpack leaves the target as it was: absent, or the empty directory it was (rename(2) replaces an empty
 * directory). The staging directory is created 0700 — what is being unpacked is not verified yet — and given the
 * rootfs mode 0755 just before the rename unless a layer set the root's mode. Everything goes through a
 * {@link RootedFs} on the parent: nothing in the half-built tree is ever followed when it is removed.
 */
final class StagedDirectory implements Closeable {
    private final RootedFs parent;
    private final String name;
    private final String finalName;
    private final Path path;
    private boolean committed;

    private StagedDirectory(RootedFs parent, String name, String finalName) {
        this.parent = parent;
        this.name = name;
        this.finalName = finalName;
        this.path = parent.root().resolve(name);
    }

    /**
     * Starts a directory that will become {@code target}, which must not exist or be an empty directory (not a
     * symlink to one).
     *
     * @throws FailedPreconditionException when {@code target} holds something
     */
    static StagedDirectory begin(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path parentDir = abs.getParent();
        if (parentDir == null) {
            throw new FailedPreconditionException("cannot unpack into " + target);
        }
        Files.createDirectories(parentDir);
        RootedFs parent = RootedFs.open(parentDir);
        try {
            String finalName = abs.getFileName().toString();
            if (parent.exists(finalName)) {
                FileStat st = parent.lstat(finalName);
                if (st.type() != FileType.DIRECTORY || !parent.list(finalName).isEmpty()) {
                    throw new FailedPreconditionException("target " + target
                            + " exists and is not an empty directory");
                }
            }
            byte[] random = new byte[6];
            new SecureRandom().nextBytes(random);
            String name = "." + finalName + ".strata-unpack-" + HexFormat.of().formatHex(random);
            parent.mkdir(name, 0700);
            return new StagedDirectory(parent, name, finalName);
        } catch (IOException | RuntimeException e) {
            parent.close();
            throw e;
        }
    }

    /** Where the content goes until {@link #commit}. */
    Path path() {
        return path;
    }

    /** Renames the finished directory onto the target. */
    void commit() throws IOException {
        if ((parent.lstat(name).mode() & 07777) == 0700) {
            parent.chmod(name, 0755); // no layer set the root's mode: a rootfs is 0755, as umoci's is
        }
        parent.rename(name, finalName);
        committed = true;
    }

    /** Without a commit, removes everything written; the target is as it was. */
    @Override
    public void close() throws IOException {
        try {
            if (!committed) {
                parent.removeAll(name);
            }
        } finally {
            parent.close();
        }
    }
}
