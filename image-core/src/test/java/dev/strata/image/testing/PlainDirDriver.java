package dev.strata.image.testing;

import dev.strata.image.AlreadyExistsException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.NotFoundException;
import dev.strata.image.driver.GraphDriver;
import dev.strata.image.driver.GraphDriverProvider;
import dev.strata.image.driver.LayerIds;
import dev.strata.image.driver.MountRefs;
import dev.strata.image.driver.Probe;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.fs.TreeCopier;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The smallest real driver, for store tests in image-core (the drivers live in their own modules): each layer is
 * {@code <home>/<id>/}, a {@link TreeCopier} copy of its parent, with the parent id in {@code <home>/<id>.parent}.
 * Deliberately not crash-safe, so the store's own cleanup is what the tests see working.
 */
public final class PlainDirDriver implements GraphDriver {
    /** Not registered with ServiceLoader: tests pass it to the store explicitly. */
    public static final GraphDriverProvider PROVIDER = new GraphDriverProvider() {
        @Override
        public String name() {
            return "plaindir";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Probe probe(Path home) {
            return Probe.supported("test driver");
        }

        @Override
        public GraphDriver open(Path home, Map<String, String> options) throws IOException {
            Files.createDirectories(home);
            return new PlainDirDriver(home);
        }
    };

    private final Path home;
    private final MountRefs refs = new MountRefs();

    private PlainDirDriver(Path home) {
        this.home = home;
    }

    @Override
    public String name() {
        return "plaindir";
    }

    @Override
    public Path home() {
        return home;
    }

    @Override
    public synchronized void create(String id, String parent) throws IOException {
        if (exists(id)) {
            throw new AlreadyExistsException(id);
        }
        if (parent != null && !exists(parent)) {
            throw new NotFoundException(parent);
        }
        Files.writeString(home.resolve(id + ".parent"), parent == null ? "" : parent);
        Files.createDirectory(home.resolve(id));
        if (parent != null) {
            new TreeCopier().copy(home.resolve(parent), home.resolve(id));
        }
    }

    @Override
    public synchronized void remove(String id) throws IOException {
        if (!exists(id)) {
            throw new NotFoundException(id);
        }
        for (String other : layers()) {
            if (id.equals(parent(other))) {
                throw new FailedPreconditionException(id + " has child " + other);
            }
        }
        try (RootedFs fs = RootedFs.open(home)) {
            fs.removeAll(id);
        }
        Files.deleteIfExists(home.resolve(id + ".parent"));
    }

    @Override
    public synchronized Path get(String id) {
        if (!exists(id)) {
            throw new NotFoundException(id);
        }
        refs.acquire(id);
        return home.resolve(id);
    }

    @Override
    public synchronized void put(String id) {
        refs.release(id);
    }

    @Override
    public boolean exists(String id) {
        return Files.isDirectory(home.resolve(LayerIds.check(id)));
    }

    @Override
    public String parent(String id) throws IOException {
        try {
            String p = Files.readString(home.resolve(LayerIds.check(id) + ".parent"));
            return p.isEmpty() ? null : p;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public List<String> layers() throws IOException {
        try (Stream<Path> s = Files.list(home)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public Map<String, String> status() throws IOException {
        return Map.of("Driver", name(), "Layers", Integer.toString(layers().size()));
    }

    @Override
    public void close() {
        refs.clear();
    }
}
