package dev.strata.image.transport;

import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.DigestAlgorithm;
import dev.strata.image.digest.VerifyingInputStream;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ManifestDocument;
import dev.strata.image.model.Manifests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * skopeo's {@code dir:} format: {@code version}, {@code manifest.json} (the root manifest or index) and one file per
 * blob named by its hex digest ({@code <alg>-<hex>} for other algorithms than sha256); the manifests of an index as
 * {@code <hex>.manifest.json}. Files are never read or written through a symlink: reads refuse one, writes go to a
 * new temporary file ({@code O_EXCL}) renamed over the name.
 */
final class DirTransport {
    static final String VERSION = "Directory Transport Version: 1.1\n";

    private DirTransport() {
    }

    static String blobName(Digest d) {
        return d.algorithm() == DigestAlgorithm.SHA256 ? d.encoded() : d.algorithm().ociName() + "-" + d.encoded();
    }

    static InputStream read(Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        if (Files.isSymbolicLink(p)) {
            throw new InvalidImageException(p + " is a symbolic link; dir: images hold regular files only");
        }
        try {
            return Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new NotFoundException(p + " does not exist", e);
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

    /** Writes {@code in} to {@code dir/name} through a new temporary file renamed into place. */
    static void write(Path dir, String name, InputStream in) throws IOException {
        Path tmp = Files.createTempFile(dir, ".strata-", ".tmp");
        try {
            try (var out = Files.newOutputStream(tmp, LinkOption.NOFOLLOW_LINKS)) {
                in.transferTo(out);
            }
            try {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
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
            Path p = dir.resolve(blobName(blob.digest()));
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || Files.size(p) != blob.size()) {
                return false;
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
