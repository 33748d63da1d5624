package dev.strata.image.transport;

import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.layer.TarArchive;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.MediaType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An image of an OCI layout packed in a tar ({@code oci-archive:}, as skopeo and buildah write it), read in place:
 * the archive is indexed once and every blob read from its offset, never extracted.
 */
final class OciArchiveSource implements ImageSource {
    private final TarArchive archive;
    private final Descriptor root;

    private OciArchiveSource(TarArchive archive, Descriptor root) {
        this.archive = archive;
        this.root = root;
    }

    static OciArchiveSource open(Path file, String name) throws IOException {
        TarArchive archive = TarArchive.index(file);
        if (archive.member("oci-layout") == null || archive.member("index.json") == null) {
            throw new InvalidImageException(file + " is not an OCI archive: it has no oci-layout or index.json");
        }
        byte[] indexBytes = read(archive, archive.member("index.json"));
        ImageIndex index = Manifests.parseIndex(indexBytes, MediaType.OCI_INDEX);
        List<Descriptor> found = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Descriptor d : index.manifests()) {
            String ref = d.annotation(Descriptor.REF_NAME_ANNOTATION);
            if (ref != null) {
                names.add(ref);
            }
            if (name == null || name.equals(ref)) {
                found.add(d);
            }
        }
        if (found.size() != 1) {
            throw new NotFoundException(name == null
                    ? file + " holds " + found.size() + " images; name one (oci-archive:FILE:NAME): " + names
                    : "no single image named '" + name + "' in " + file + "; names: " + names);
        }
        return new OciArchiveSource(archive, found.get(0));
    }

    private static byte[] read(TarArchive archive, TarArchive.Member m) throws IOException {
        if (m.size() > Manifests.MAX_DOCUMENT_SIZE) {
            throw new InvalidImageException(archive.file() + ": " + m.name() + " is larger than "
                    + Manifests.MAX_DOCUMENT_SIZE + " bytes");
        }
        try (InputStream in = archive.open(m)) {
            return in.readAllBytes();
        }
    }

    private TarArchive.Member blobMember(Descriptor d) {
        TarArchive.Member m = archive.member("blobs/" + d.digest().algorithm().ociName() + "/" + d.digest().encoded());
        if (m == null) {
            throw new NotFoundException("blob " + d.digest() + " is not in " + archive.file());
        }
        return m;
    }

    @Override
    public Document root() throws IOException {
        return new Document(root, read(archive, blobMember(root)));
    }

    @Override
    public byte[] manifest(Descriptor manifest) throws IOException {
        return read(archive, blobMember(manifest));
    }

    @Override
    public InputStream blob(Descriptor blob) throws IOException {
        return archive.open(blobMember(blob));
    }

    @Override
    public String toString() {
        return "oci-archive:" + archive.file();
    }
}
