package dev.strata.image.transport;

import dev.strata.image.content.ContentStore;
import dev.strata.image.layer.TarArchive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes an {@code oci-archive:} file: an OCI layout gathered in a hidden directory beside the file, packed into a
 * tar ({@code oci-layout}, {@code index.json}, {@code blobs/<alg>/<hex>}) when the destination is closed, and renamed
 * into place.
 */
final class OciArchiveWriter extends LayoutDestination {
    private final Path file;
    private final Path work;
    private boolean committed;

    private OciArchiveWriter(Path file, Path work, String name) throws IOException {
        super(ContentStore.open(work.resolve("layout")), name);
        this.file = file;
        this.work = work;
    }

    static OciArchiveWriter create(Path file, String name) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path work = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".strata-");
        return new OciArchiveWriter(abs, work, name);
    }

    @Override
    public void commit(Document root) throws IOException {
        super.commit(root);
        committed = true;
    }

    @Override
    public void close() throws IOException {
        try {
            if (committed) {
                pack();
            }
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private void pack() throws IOException {
        Path layoutDir = work.resolve("layout");
        Path tmp = work.resolve("archive.tar");
        try (OutputStream out = Files.newOutputStream(tmp);
             TarArchive.Writer tar = new TarArchive.Writer(out, 0)) {
            tar.file("oci-layout", Files.readAllBytes(layoutDir.resolve("oci-layout")));
            tar.file("index.json", Files.readAllBytes(layoutDir.resolve("index.json")));
            tar.directory("blobs");
            Path blobs = layoutDir.resolve("blobs");
            for (Path alg : sorted(blobs)) {
                tar.directory("blobs/" + alg.getFileName());
                for (Path blob : sorted(alg)) {
                    if (Files.isRegularFile(blob, LinkOption.NOFOLLOW_LINKS)) {
                        try (InputStream in = Files.newInputStream(blob, LinkOption.NOFOLLOW_LINKS)) {
                            tar.file("blobs/" + alg.getFileName() + "/" + blob.getFileName(), Files.size(blob), in);
                        }
                    }
                }
            }
        }
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static List<Path> sorted(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    @Override
    public String toString() {
        return "oci-archive:" + file;
    }
}
