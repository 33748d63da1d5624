package dev.strata.image.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.digest.DigestAlgorithm;
import dev.strata.image.digest.DigestingInputStream;
import dev.strata.image.internal.JsonTrees;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.TarArchive;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.MediaType;
import dev.strata.image.reference.ImageReference;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An image of a {@code docker save} archive (docker 1.10 and later, skopeo's {@code docker-archive:}): its
 * {@code manifest.json} lists, per image, the config file, the repo tags and the layer files ({@code <id>/layer.tar},
 * {@code <hex>.tar} or {@code blobs/sha256/<hex>}, uncompressed or compressed). The archive holds no manifest, so one
 * is made here: an OCI manifest whose layer descriptors are the layer files' digests, sizes and compressions; the
 * config and its DiffIDs are the archive's bytes. Archives from before docker 1.10 (a {@code repositories} file and
 * v1 layer JSON only) are refused with a message: they carry no image config.
 */
public final class DockerArchiveSource implements ImageSource {
    /** manifest.json of a multi-image archive: a few KiB per image. */
    private static final int MAX_MANIFEST_JSON = 4 * 1024 * 1024;

    private final TarArchive archive;
    private final Document root;
    private final Map<Digest, TarArchive.Member> blobs = new HashMap<>();
    private final List<String> repoTags;

    private DockerArchiveSource(TarArchive archive, JsonNode image) throws IOException {
        this.archive = archive;
        TarArchive.Member configMember = member(text(image, "Config"));
        byte[] configBytes = read(configMember, Manifests.MAX_DOCUMENT_SIZE);
        ImageConfig config = Manifests.parseConfig(configBytes);
        Descriptor configDesc = new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
        blobs.put(configDesc.digest(), configMember);
        JsonNode layers = image.get("Layers");
        if (layers == null || !layers.isArray()) {
            throw new InvalidImageException(archive.file() + ": manifest.json lists no Layers");
        }
        if (layers.size() != config.diffIds().size()) {
            throw new InvalidImageException(archive.file() + ": manifest.json lists " + layers.size()
                    + " layers but the config has " + config.diffIds().size() + " DiffIDs");
        }
        List<Descriptor> layerDescs = new ArrayList<>();
        for (JsonNode l : layers) {
            TarArchive.Member m = member(l.asText());
            Descriptor d = describeLayer(m);
            blobs.put(d.digest(), m);
            layerDescs.add(d);
        }
        ImageManifest manifest = ImageManifest.create(MediaType.OCI_MANIFEST, configDesc, layerDescs, Map.of());
        this.root = new Document(manifest.descriptor(), manifest.raw());
        List<String> tags = new ArrayList<>();
        JsonNode rt = image.get("RepoTags");
        if (rt != null && rt.isArray()) {
            rt.forEach(t -> tags.add(t.asText()));
        }
        this.repoTags = List.copyOf(tags);
    }

    /** The image {@code name} (a repo tag, {@code @N}, or null for the only image) of the archive {@code file}. */
    static DockerArchiveSource open(Path file, String name) throws IOException {
        TarArchive archive = TarArchive.index(file);
        List<JsonNode> images = images(archive);
        JsonNode chosen = null;
        if (name == null) {
            if (images.size() != 1) {
                throw new NotFoundException(file + " holds " + images.size() + " images; name one "
                        + "(docker-archive:FILE:REPO:TAG or :@N): " + describe(images));
            }
            chosen = images.get(0);
        } else if (name.startsWith("@")) {
            int i = parseIndex(name, file);
            if (i >= images.size()) {
                throw new NotFoundException(file + " holds " + images.size() + " images, no " + name);
            }
            chosen = images.get(i);
        } else {
            String wanted = normalize(name);
            for (JsonNode image : images) {
                JsonNode tags = image.get("RepoTags");
                if (tags != null) {
                    for (JsonNode t : tags) {
                        if (normalize(t.asText()).equals(wanted)) {
                            chosen = image;
                        }
                    }
                }
            }
            if (chosen == null) {
                throw new NotFoundException("no image tagged " + name + " in " + file + ": " + describe(images));
            }
        }
        return new DockerArchiveSource(archive, chosen);
    }

    /** Every image of the archive {@code file}, in manifest.json order. */
    public static List<DockerArchiveSource> openAll(Path file) throws IOException {
        TarArchive archive = TarArchive.index(file);
        List<DockerArchiveSource> all = new ArrayList<>();
        for (JsonNode image : images(archive)) {
            all.add(new DockerArchiveSource(archive, image));
        }
        return all;
    }

    private static List<JsonNode> images(TarArchive archive) throws IOException {
        TarArchive.Member m = archive.member("manifest.json");
        if (m == null) {
            String why = archive.member("repositories") != null
                    ? " (an archive of docker before 1.10: it has only a repositories file and no image configs)" : "";
            throw new InvalidImageException(archive.file() + " has no manifest.json: not a docker save archive"
                    + why);
        }
        JsonNode list;
        try (InputStream in = archive.open(m)) {
            list = JsonTrees.read(readCapped(in, MAX_MANIFEST_JSON, archive.file() + ": manifest.json"));
        }
        if (!list.isArray() || list.isEmpty()) {
            throw new InvalidImageException(archive.file() + ": manifest.json is not a non-empty list of images");
        }
        List<JsonNode> out = new ArrayList<>();
        list.forEach(out::add);
        return out;
    }

    private static String describe(List<JsonNode> images) {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            JsonNode tags = images.get(i).get("RepoTags");
            all.add("@" + i + (tags != null && !tags.isEmpty() ? " " + tags : ""));
        }
        return String.join(", ", all);
    }

    private static int parseIndex(String name, Path file) {
        try {
            return Integer.parseInt(name.substring(1));
        } catch (NumberFormatException e) {
            throw new NotFoundException("'" + name + "' is not an image number of " + file + " (@0, @1, ...)");
        }
    }

    /** A repo tag as docker writes it ({@code busybox:latest}) and as users spell it compare equal. */
    private static String normalize(String tag) {
        try {
            return ImageReference.parse(tag).toString();
        } catch (RuntimeException e) {
            return tag;
        }
    }

    /** The repo tags manifest.json gives this image. */
    public List<String> repoTags() {
        return repoTags;
    }

    private Descriptor describeLayer(TarArchive.Member m) throws IOException {
        try (InputStream in = archive.open(m)) {
            DigestingInputStream d = new DigestingInputStream(in, DigestAlgorithm.SHA256);
            byte[] head = d.readNBytes(4);
            Compression c = Compression.detect(head, head.length);
            Digest digest = d.drainAndDigest();
            return new Descriptor(c.ociLayerMediaType(), digest, m.size());
        }
    }

    private TarArchive.Member member(String name) {
        TarArchive.Member m = name == null ? null : archive.member(name);
        if (m == null) {
            throw new InvalidImageException(archive.file() + ": manifest.json names " + name
                    + ", which the archive does not hold");
        }
        return m;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || !v.isTextual() ? null : v.asText();
    }

    private byte[] read(TarArchive.Member m, int cap) throws IOException {
        try (InputStream in = archive.open(m)) {
            return readCapped(in, cap, archive.file() + ": " + m.name());
        }
    }

    private static byte[] readCapped(InputStream in, int cap, String what) throws IOException {
        byte[] b = in.readNBytes(cap + 1);
        if (b.length > cap) {
            throw new InvalidImageException(what + " is larger than " + cap + " bytes");
        }
        return b;
    }

    @Override
    public Document root() {
        return root;
    }

    @Override
    public byte[] manifest(Descriptor manifest) {
        throw new NotFoundException("a docker archive holds no manifest " + manifest.digest());
    }

    @Override
    public InputStream blob(Descriptor blob) throws IOException {
        TarArchive.Member m = blobs.get(blob.digest());
        if (m == null) {
            throw new NotFoundException("blob " + blob.digest() + " is not in " + archive.file());
        }
        return archive.open(m);
    }

    @Override
    public boolean madeManifest() {
        return true;
    }

    @Override
    public String toString() {
        return "docker-archive:" + archive.file();
    }
}
