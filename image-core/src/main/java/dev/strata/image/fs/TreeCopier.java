package dev.strata.image.fs;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Copies a directory tree exactly: content, type, owner, mode (setuid, setgid and sticky included), times to the
 * nanosecond, extended attributes (including {@code security.capability}), hard links (grouped by the source's
 * (dev, inode)), symlinks (targets byte for byte, dangling or not), devices, FIFOs and holes of sparse files.
 * Sockets are skipped: layers cannot carry them. Names are copied as bytes, whatever their encoding.
 *
 * <p>Both trees are untrusted (layer content), so neither is ever reached by a path: the walk holds an open fd of
 * the source directory and of its copy, opens each child relative to them with {@code O_NOFOLLOW} (a directory
 * also with {@code O_DIRECTORY}), creates each entry with an {@code *at()} call that does not follow
 * ({@code O_CREAT|O_EXCL}, {@code mkdirat}, {@code symlinkat}, {@code mknodat}), and sets metadata on the open fd
 * ({@code fchown}, {@code fsetxattr}, {@code fchmod}, {@code futimens}) or, for symlinks and device nodes which are
 * never opened, with {@code AT_SYMLINK_NOFOLLOW} calls relative to the directory fd. A FIFO or device is never
 * opened; a source file is opened only when getdents says it is regular and used only when fstat agrees.
 *
 * <p>File content is shared with {@code ioctl(FICLONE)} when the file system can reflink (btrfs, xfs), copied in
 * the kernel with {@code copy_file_range} otherwise, and read and written as the last resort; a file with holes
 * (fewer blocks than its size) is copied extent by extent ({@code SEEK_DATA}/{@code SEEK_HOLE}) so the holes stay.
 * Order per entry: chown before xattrs and chmod, because chown clears setuid/setgid and
 * {@code security.capability}; times last. A directory gets its owner, xattrs, mode and times when its last child
 * is done (post-order): nothing is created in it afterwards, so its mtime stays, and a 0555 directory still
 * receives its children. Setting its xattrs last also keeps a default ACL from being inherited by the copies.
 *
 * <p>Open fds are bounded whatever the depth: only the innermost {@value #KEEP_OPEN} directories keep theirs; an
 * outer one is re-opened by name (again with {@code O_NOFOLLOW|O_DIRECTORY}) when the walk returns to it.
 *
 * <p>On a machine with more than one CPU, file content and file metadata are copied on a second thread while the
 * walk goes on creating names: on tmpfs that takes about a fifth off the time of a
 * single-threaded copy, and it never changes what is created.
 *
 * <p>Not thread-safe: one instance remembers which copy method the file system accepts.
 *
 * <p>Parts (package-private): {@code TreeWalk} walks and creates, keeping a stack of {@code WalkFrame}s with
 * {@code EntryMeta} each; {@code HardLinkGroups} links later links to the first copy; {@code NewFileFiller} fills a
 * new file with {@code FdContentCopier} (content) and {@code FdMetadataCopier} (owner, xattrs, mode, times), in the
 * walk or on the {@code ContentCopyThread}; {@code CopyMethodMemory} keeps what the file system refused.
 */
public final class TreeCopier {
    /** How file content was copied. */
    public enum Method { REFLINK, COPY_FILE_RANGE, READ_WRITE }

    /** Directories at the bottom of the walk that keep their fds open; see {@link TreeWalk}. */
    static final int KEEP_OPEN = 32;

    private final boolean contentThread;
    private final CopyMethodMemory methods = new CopyMethodMemory();

    /** A copier that copies file content on a second thread when the machine has more than one CPU. */
    public TreeCopier() {
        this(Runtime.getRuntime().availableProcessors() > 1);
    }

    /** {@code contentThread}: copy file content and file metadata on a second thread beside the walk. */
    TreeCopier(boolean contentThread) {
        this.contentThread = contentThread;
    }

    /** The method used for the last non-empty regular file, or null if none was copied yet. */
    public Method lastMethod() {
        return methods.lastMethod;
    }

    /**
     * Copies everything below {@code source} into {@code target}, an existing, empty directory, and gives the target
     * root the source root's owner, mode, xattrs and times.
     */
    public void copy(Path source, Path target) throws IOException {
        try (RootedFs src = RootedFs.open(source); RootedFs dst = RootedFs.open(target)) {
            copy(src, dst);
        }
    }

    /** As {@link #copy(Path, Path)}, on open roots. */
    public void copy(RootedFs src, RootedFs dst) throws IOException {
        TreeWalk walk = new TreeWalk(dst, contentThread, methods);
        try {
            walk.copyAll(src.rootFd(), dst.rootFd());
        } finally {
            walk.closeAll();
        }
    }
}
