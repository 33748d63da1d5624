package dev.strata.image.fs;

import static dev.strata.image.fs.WalkFrame.display;

import dev.strata.image.fs.Native.LinuxLibc;

import java.io.IOException;

/**
 * Fills a regular file a {@link TreeWalk} has just created: content, then owner, xattrs, mode and times, then
 * closes it. One per thread, the walk's and the content thread's, each with its own buffers.
 */
final class NewFileFiller {
    private final LinuxLibc libc = Native.libc();
    private final FdContentCopier content;
    private final FdMetadataCopier metadata;

    NewFileFiller(FdContentCopier content, FdMetadataCopier metadata) {
        this.content = content;
        this.metadata = metadata;
    }

    /** Content and metadata of the new, empty {@code out} from {@code in}; closes {@code out}, not {@code in}. */
    void fill(int in, int out, EntryMeta m, WalkFrame dir, byte[] name) throws IOException {
        try {
            content.copy(in, out, m, dir, name);
            metadata.copy(in, out, m, dir, name);
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(out);
            throw e;
        }
        if (libc.close(out) != 0 && Native.errno() != Errno.EINTR) {
            throw Errno.exception(Native.errno(), "tree copy: close", display(dir, name));
        }
    }
}
