package dev.strata.image.transport;

import dev.strata.image.layer.Compression;
import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressListener;

import java.nio.file.Path;

/**
 * How {@link ImageCopier} copies.
 *
 * @param all              copy an index with every platform's manifest (its digest kept when nothing is re-encoded)
 * @param platform         without {@code all}: the platform chosen from an index
 * @param preserveDigests  refuse a copy that would change the digest of a manifest or blob
 * @param compression      re-encode layers to this compression (null: keep them as they are)
 * @param compressionLevel gzip 1-9 or zstd 1-19; 0 for the format's default
 * @param jobs             blobs copied at once
 * @param tmpDir           where re-encoded layers wait for their upload
 * @param listener         per-blob progress
 */
public record CopyOptions(boolean all, Platform platform, boolean preserveDigests, Compression compression,
                          int compressionLevel, int jobs, Path tmpDir, ProgressListener listener) {
    public CopyOptions {
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1, got " + jobs);
        }
        if (platform == null) {
            platform = Platform.host();
        }
        if (tmpDir == null) {
            tmpDir = Path.of(System.getProperty("java.io.tmpdir"));
        }
        if (listener == null) {
            listener = ProgressListener.NONE;
        }
    }

    /** One platform (the host's), digests as they come, layers as they are, 4 jobs. */
    public static CopyOptions defaults() {
        return new CopyOptions(false, null, false, null, 0, 4, null, null);
    }

    public CopyOptions withAll(boolean a) {
        return new CopyOptions(a, platform, preserveDigests, compression, compressionLevel, jobs, tmpDir, listener);
    }

    public CopyOptions withPlatform(Platform p) {
        return new CopyOptions(all, p, preserveDigests, compression, compressionLevel, jobs, tmpDir, listener);
    }

    public CopyOptions withPreserveDigests(boolean p) {
        return new CopyOptions(all, platform, p, compression, compressionLevel, jobs, tmpDir, listener);
    }

    public CopyOptions withCompression(Compression c, int level) {
        return new CopyOptions(all, platform, preserveDigests, c, level, jobs, tmpDir, listener);
    }

    public CopyOptions withJobs(int j) {
        return new CopyOptions(all, platform, preserveDigests, compression, compressionLevel, j, tmpDir, listener);
    }

    public CopyOptions withTmpDir(Path dir) {
        return new CopyOptions(all, platform, preserveDigests, compression, compressionLevel, jobs, dir, listener);
    }

    public CopyOptions withListener(ProgressListener l) {
        return new CopyOptions(all, platform, preserveDigests, compression, compressionLevel, jobs, tmpDir, l);
    }
}
