package dev.strata.image.content;

import dev.strata.image.digest.Digest;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * Child-JVM entry point for ConcurrencyTest and CrashTest: writes {@link SeededContent} (seed, size) as blob
 * {@code digest} into the layout at {@code dir}, sleeping {@code pauseMillis} after every MiB so that a parent can
 * kill it mid-write. Prints {@code OFFSET n} once the writer is open and {@code DONE digest} after the commit.
 * Args: dir seed size digest pauseMillis.
 */
public final class BlobWriterMain {
    private BlobWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        ContentStore store = ContentStore.open(Path.of(args[0]));
        long seed = Long.parseLong(args[1]);
        long size = Long.parseLong(args[2]);
        Digest digest = Digest.parse(args[3]);
        long pause = Long.parseLong(args[4]);
        try (ContentWriter w = store.writer(digest, size); InputStream in = new SeededContent(seed, size)) {
            System.out.println("OFFSET " + w.offset());
            System.out.flush();
            in.skip(w.offset());
            byte[] buf = new byte[1024 * 1024];
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                w.write(buf, 0, n);
                if (pause > 0) {
                    Thread.sleep(pause);
                }
            }
            BlobInfo info = w.commit();
            System.out.println("DONE " + info.digest());
        }
    }
}
