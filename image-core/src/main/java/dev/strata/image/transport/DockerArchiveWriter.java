package dev.strata.image.transport;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.internal.JsonTrees;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.TarArchive;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.reference.ImageReference;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a {@code docker save} archive that {@code docker load}, skopeo's {@code docker-archive:} and this library
 * read: {@code manifest.json} (config, repo tags and layer files per image), the legacy {@code repositories} file,
 * the configs as {@code <hex>.json} and the uncompressed layers as {@code <diffid-hex>.tar} (the copy engine
 * decompresses them: {@link #image} asks for uncompressed layers). Blobs gather in a content store in a hidden
 * directory beside the file; {@link #close} writes the archive next to it and renames it into place, so the file
 * appears complete or not at all. Several images may go into one archive, each through its own {@link #image}.
 */
public final class DockerArchiveWriter implements AutoCloseable {
    private final Path file;
    private final Path work;
    private final ContentStore blobs;
    private final List<Entry> entries = new ArrayList<>();
    private boolean closed;

    private record Entry(Descriptor config, List<Digest> layers, List<String> repoTags) {
    }

    private DockerArchiveWriter(Path file, Path work) throws IOException {
        this.file = file;
        this.work = work;
        this.blobs = ContentStore.open(work.resolve("blobs"));
    }

    /** An archive to be written at {@code file} (replaced when it exists). */
    public static DockerArchiveWriter create(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path work = Files.createTempDirectory(dir, "." + abs.getFileName() + ".strata-");
        return new DockerArchiveWriter(abs, work);
    }

    /** A destination for one image of the archive, tagged {@code tag} (a reference; null: untagged). */
    public ImageDestination image(String tag) {
        return image(tag, false);
    }

    /** An archive of one image: closing the destination writes the archive. */
    ImageDestination onlyImage(String tag) {
        return image(tag, true);
    }

    private ImageDestination image(String tag, boolean closesArchive) {
        // Blobs as in any layout (verified, atomic); what differs is what commit and close mean.
        return new LayoutDestination(blobs, tag != null ? tag : "untagged") {
            @Override
            public void putManifest(Document manifest) {
                throw new IllegalStateException("a docker archive holds no index");
            }

            @Override
            public void commit(Document root) {
                ImageManifest m = Manifests.parseManifest(root.raw(), root.descriptor().mediaType());
                List<Digest> layers = new ArrayList<>();
                for (Descriptor l : m.layers()) {
                    layers.add(l.digest()); // uncompressed: the blob's digest is the layer's DiffID
                }
                List<String> tags = tag == null ? List.of() : List.of(repoTag(tag));
                synchronized (entries) {
                    entries.add(new Entry(m.config(), layers, tags));
                }
            }

            @Override
            public Optional<Compression> requiredLayerCompression() {
                return Optional.of(Compression.NONE);
            }

            @Override
            public boolean acceptsIndex() {
                return false;
            }

            @Override
            public void close() throws IOException {
                if (closesArchive) {
                    DockerArchiveWriter.this.close();
                }
            }

            @Override
            public String toString() {
                return "docker-archive:" + file + (tag != null ? ":" + tag : "");
            }
        };
    }

    /** docker's spelling of a tag in manifest.json: {@code busybox:latest}, {@code host:5000/a/b:1}. */
    static String repoTag(String tag) {
        ImageReference ref = ImageReference.parse(tag);
        String name = ref.familiarName();
        int at = name.indexOf('@');
        if (at >= 0) {
            name = name.substring(0, at);
        }
        return name.contains(":") && name.lastIndexOf(':') > name.lastIndexOf('/') ? name
                : name + ":" + (ref.tag() != null ? ref.tag() : ImageReference.DEFAULT_TAG);
    }

    /** Writes the archive and renames it into place; without any committed image, writes nothing. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!entries.isEmpty()) {
                writeArchive();
            }
        } finally {
            deleteTree(work);
        }
    }

    private void writeArchive() throws IOException {
        Path tmp = work.resolve("archive.tar");
        JsonNodeFactory json = JsonNodeFactory.instance;
        ArrayNode manifest = json.arrayNode();
        ObjectNode repositories = json.objectNode();
        Set<Digest> written = new LinkedHashSet<>();
        try (OutputStream out = Files.newOutputStream(tmp);
             TarArchive.Writer tar = new TarArchive.Writer(out, 0)) {
            for (Entry e : entries) {
                String configName = e.config().digest().encoded() + ".json";
                if (written.add(e.config().digest())) {
                    tar.file(configName, blobs.readSmall(e.config().digest()));
                }
                ArrayNode layerNames = json.arrayNode();
                for (Digest l : e.layers()) {
                    String name = l.encoded() + ".tar";
                    layerNames.add(name);
                    if (written.add(l)) {
                        long size = blobs.info(l).orElseThrow().size();
                        try (InputStream in = blobs.open(l, true)) {
                            tar.file(name, size, in);
                        }
                    }
                }
                ObjectNode image = manifest.addObject();
                image.put("Config", configName);
                ArrayNode tags = image.putArray("RepoTags");
                e.repoTags().forEach(tags::add);
                image.set("Layers", layerNames);
                for (String t : e.repoTags()) {
                    int colon = t.lastIndexOf(':');
                    ObjectNode repo = repositories.has(t.substring(0, colon))
                            ? (ObjectNode) repositories.get(t.substring(0, colon))
                            : repositories.putObject(t.substring(0, colon));
                    if (!e.layers().isEmpty()) {
                        repo.put(t.substring(colon + 1), e.layers().get(e.layers().size() - 1).encoded());
                    }
                }
            }
            tar.file("manifest.json", JsonTrees.write(manifest));
            if (!repositories.isEmpty()) {
                tar.file("repositories", JsonTrees.write(repositories));
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

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

}
