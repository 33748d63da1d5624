package dev.strata.image.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.image.InvalidImageException;
import dev.strata.image.digest.Digest;
import dev.strata.image.internal.JsonTrees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code <root>/containers/<id>.json}: one record per container, each written atomically ({@link AtomicFiles}), so
 * a crash leaves every record whole or absent. Callers hold the store lock (shared to read, exclusive to write).
 */
final class ContainerRecords {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final Path dir;

    ContainerRecords(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    /** Every record, sorted by name. */
    List<Container> list() throws IOException {
        List<Container> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.endsWith(".json") && !AtomicFiles.isTemp(p)) {
                    out.add(decode(AtomicFiles.readBounded(p, RecordCodec.MAX_RECORD), p));
                }
            }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    Optional<Container> get(String id) throws IOException {
        Path p = file(id);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(decode(AtomicFiles.readBounded(p, RecordCodec.MAX_RECORD), p));
    }

    void write(Container c) throws IOException {
        AtomicFiles.write(file(c.id()), encode(c));
    }

    void delete(String id) throws IOException {
        AtomicFiles.delete(file(id));
    }

    /** The driver layers of containers: never orphans. */
    Set<String> driverIds() throws IOException {
        Set<String> out = new HashSet<>();
        for (Container c : list()) {
            out.add(c.driverId());
        }
        return out;
    }

    /** The image top layers containers stand on: in use while they exist. */
    Set<Digest> topLayers() throws IOException {
        Set<Digest> out = new HashSet<>();
        for (Container c : list()) {
            out.add(c.topLayer());
        }
        return out;
    }

    /** Removes temp files of record writes a crash cut short. */
    void cleanup() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (AtomicFiles.isTemp(p)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private Path file(String id) {
        return dir.resolve(Container.checkId(id) + ".json"); // an id is 64 hex digits: a safe file name
    }

    private static byte[] encode(Container c) throws IOException {
        ObjectNode n = NODES.objectNode();
        n.put("id", c.id());
        n.put("name", c.name());
        n.put("imageName", c.imageName());
        n.put("imageManifest", c.imageManifest().toString());
        n.put("topLayer", c.topLayer().toString());
        n.put("driverId", c.driverId());
        n.put("created", c.created().toString());
        n.put("mountCount", c.mountCount());
        return JsonTrees.write(n, true);
    }

    private static Container decode(byte[] bytes, Path from) {
        try {
            JsonNode n = JsonTrees.read(bytes);
            return new Container(text(n, "id"), text(n, "name"), text(n, "imageName"),
                    Digest.parse(text(n, "imageManifest")), Digest.parse(text(n, "topLayer")), text(n, "driverId"),
                    Instant.parse(text(n, "created")), n.path("mountCount").asInt());
        } catch (IOException | RuntimeException e) {
            throw new InvalidImageException("damaged container record " + from + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' is missing or not a string");
        }
        return v.asText();
    }
}
