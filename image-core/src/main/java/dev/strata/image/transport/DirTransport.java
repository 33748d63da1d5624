package dev.strata.image.transport;

import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.DigestAlgorithm;
import dev.strata.image.digest.VerifyingInputStream;
import dev.strata.image.fs.NoFollowDir;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ManifestDocument;
import dev.strata.image.model.Manifests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * skopeo's {@code dir:} format: {@code version}, {@code manifest.json} (the root manifest or index) and one file per
 * blob named by its hex digest ({@code <alg>-<hex>} for other algorithms than sha256); the manifests of an index as
 * {@code <hex>.manifest.json}. The directory may be another user's to write into, so its files are reached by name
 * through {@link NoFollowDir}: never through a symlink, never a FIFO opened, new files {@code O_EXCL} renamed into
 * place.
 */
final class DirTransport {
    static final String VERSION = "Directory Transport Version: 1.1\n";

    private DirTransport() {
    }

    static String blobName(Digest d) {
        return d.algorithm() == DigestAlgorithm.SHA256 ? d.encoded() : d.algorithm().ociName() + "-" + d.encoded();
    }

    private static NoFollowDir open(Path dir) throws IOException {
        return NoFollowDir.open(dir, InvalidImageException::new);
    }

    /**
     * The regular file {@code name} of {@code dir}: a symlink, FIFO or device planted under that name is refused
     * (opened {@code O_NOFOLLOW|O_NONBLOCK}, fstat-checked), so a read never leaves the directory or hangs.
     */
    static InputStream read(Path dir, String name) throws IOException {
        try (NoFollowDir d = open(dir)) {
            if (d.stat(name).isEmpty()) {
                throw new NotFoundException(dir.resolve(name) + " does not exist");
            }
            return d.openRead(name).stream();
        }
    }

    static byte[] readSmall(Path dir, String name) throws IOException {
        try (InputStream in = read(dir, name)) {
            byte[] b = in.readNBytes(Manifests.MAX_DOCUMENT_SIZE + 1);
            if (b.length > Manifests.MAX_DOCUMENT_SIZE) {
                throw new InvalidImageException(dir.resolve(name) + " is larger than " + Manifests.MAX_DOCUMENT_SIZE
                        + " bytes");
            }
            return b;
        }
    }

    /**
     * Writes {@code in} to {@code dir/name}: a new file ({@code O_EXCL}, never through a planted name) renamed over
     * the name within the directory.
     */
    static void write(Path dir, String name, InputStream in) throws IOException {
        byte[] random = new byte[6];
        new java.security.SecureRandom().nextBytes(random);
        String tmp = ".strata-" + java.util.HexFormat.of().formatHex(random) + ".tmp";
        try (NoFollowDir d = open(dir)) {
            try {
                try (java.nio.channels.FileChannel ch = d.createChannel(tmp, 0644);
                     java.io.OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                    in.transferTo(out);
                    out.flush();
                    ch.force(true);
                }
                d.rename(tmp, d, name);
            } finally {
                d.unlink(tmp);
            }
        }
    }

    static final class Source implements ImageSource {
        private final Path dir;

        Source(Path dir) {
            this.dir = dir;
        }

        @Override
        public Document root() throws IOException {
            byte[] raw = readSmall(dir, "manifest.json");
            ManifestDocument doc = Manifests.parse(raw, null);
            return new Document(doc.descriptor(), raw);
        }

        @Override
        public byte[] manifest(Descriptor manifest) throws IOException {
            return readSmall(dir, blobName(manifest.digest()) + ".manifest.json");
        }

        @Override
        public InputStream blob(Descriptor blob) throws IOException {
            return read(dir, blobName(blob.digest()));
        }

        @Override
        public String toString() {
            return "dir:" + dir;
        }
    }

    static final class Destination implements ImageDestination {
        private final Path dir;

        Destination(Path dir) throws IOException {
            this.dir = dir;
            Files.createDirectories(dir);
            write(dir, "version", new java.io.ByteArrayInputStream(VERSION.getBytes(StandardCharsets.US_ASCII)));
        }

        @Override
        public boolean hasBlob(Descriptor blob) throws IOException {
            try (NoFollowDir d = open(dir)) {
                var st = d.stat(blobName(blob.digest()));
                if (st.isEmpty() || st.get().type() != dev.strata.image.fs.FileType.REGULAR
                        || st.get().size() != blob.size()) {
                    return false;
                }
            }
            try (InputStream in = new VerifyingInputStream(read(dir, blobName(blob.digest())), blob.digest(),
                    blob.size())) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
                return true;
            } catch (dev.strata.image.DigestMismatchException e) {
                return false; // rewritten below
            }
        }

        @Override
        public void putBlob(Descriptor blob, Content content) throws IOException {
            try (InputStream in = content.open()) {
                write(dir, blobName(blob.digest()), in);
            }
        }

        @Override
        public void putManifest(Document manifest) throws IOException {
            write(dir, blobName(manifest.descriptor().digest()) + ".manifest.json",
                    new java.io.ByteArrayInputStream(manifest.raw()));
        }

        @Override
        public void commit(Document root) throws IOException {
            write(dir, "manifest.json", new java.io.ByteArrayInputStream(root.raw()));
        }

        @Override
        public String toString() {
            return "dir:" + dir;
        }
    }
}
