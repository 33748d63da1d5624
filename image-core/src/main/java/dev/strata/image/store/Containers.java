package dev.strata.image.store;

import dev.strata.image.AlreadyExistsException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.Digest;
import dev.strata.image.driver.DiffDriver;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Store} does with containers: each is a record ({@link ContainerRecords}) and a writable driver layer
 * on the image's top layer. Creation follows layer registration: the new driver layer is noted in a lease before it
 * exists and the record is written only once it is complete, so a kill at any point leaves either a whole container
 * or a driver layer no record and no live lease owns, which the next open removes ({@link LayerStore#cleanup}).
 * Writable mounts are counted in the record as image mounts are in {@code mounts.json}: the record is written
 * after attaching and before detaching, and {@link #reconcile} on open repairs what a crash in between left.
 */
final class Containers {
    private static final Logger LOG = LoggerFactory.getLogger(Containers.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String[] ADJECTIVES = {"amber", "brave", "calm", "deep", "eager", "fair", "glad", "hardy",
            "keen", "lucid", "merry", "noble", "proud", "quiet", "rapid", "solid", "tidy", "vivid", "warm", "zesty"};
    private static final String[] NOUNS = {"basalt", "chalk", "dolomite", "flint", "gneiss", "granite", "jasper",
            "marble", "obsidian", "onyx", "quartz", "schist", "shale", "slate", "tuff", "agate", "gypsum", "mica",
            "pumice", "sandstone"};

    private final Path root;
    private final StoreLock lock;
    private final ContainerRecords records;
    private final LayerStore layers;
    private final Leases leases;
    private final DiffDriver driver;

    Containers(Path root, StoreLock lock, ContainerRecords records, LayerStore layers, Leases leases,
               DiffDriver driver) {
        this.root = root;
        this.lock = lock;
        this.records = records;
        this.layers = layers;
        this.leases = leases;
        this.driver = driver;
    }

    Container create(ImageRecord image, Digest top, String name) throws IOException {
        if (name != null) {
            Container.checkName(name);
        }
        String id = HexFormat.of().formatHex(randomBytes(32));
        String driverId = LayerStore.newDriverId();
        try (LayerLease lease = leases.open()) {
            String parentDriverId;
            String chosen;
            try (StoreLock.Held ignored = lock.exclusive()) {
                List<Container> all = records.list();
                chosen = name != null ? requireFree(all, name) : generateName(all);
                LayerRecord parent = layers.read(top).filter(r -> !r.incomplete()).orElseThrow(() ->
                        new NotFoundException("top layer " + top + " of image " + image.name() + " is not stored in "
                                + root));
                parentDriverId = parent.driverId();
                lease.hold(top);
                lease.addPending(driverId); // before the driver layer exists: cleanup must never take it for an orphan
            }
            try {
                driver.create(driverId, parentDriverId); // no store lock: vfs copies the whole image here
            } catch (IOException | RuntimeException | Error e) {
                forgetPending(driverId, lease, e);
                throw e;
            }
            Container c = new Container(id, chosen, image.name(), image.manifest(), top, driverId,
                    Instant.now().truncatedTo(ChronoUnit.MILLIS), 0);
            try (StoreLock.Held ignored = lock.exclusive()) {
                requireFree(records.list(), chosen); // another process may have taken it meanwhile
                records.write(c);
                lease.removePending(driverId);
            } catch (IOException | RuntimeException | Error e) {
                try {
                    if (driver.exists(driverId) && records.get(id).isEmpty()) {
                        driver.remove(driverId);
                    }
                    forgetPending(driverId, lease, e);
                } catch (IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
            return c;
        }
    }

    List<Container> list() throws IOException {
        try (StoreLock.Held ignored = lock.shared()) {
            return records.list();
        }
    }

    /** An exact id, an exact name, or a prefix of exactly one container's id. */
    Container resolve(String spelling) throws IOException {
        List<Container> all = list();
        for (Container c : all) {
            if (c.id().equals(spelling)) {
                return c;
            }
        }
        for (Container c : all) {
            if (c.name().equals(spelling)) {
                return c;
            }
        }
        List<Container> byPrefix = spelling.isEmpty() ? List.of()
                : all.stream().filter(c -> c.id().startsWith(spelling)).toList();
        if (byPrefix.size() > 1) {
            throw new FailedPreconditionException("container id prefix " + spelling + " is ambiguous: it matches "
                    + byPrefix.stream().map(c -> c.shortId() + " (" + c.name() + ")").toList()
                    + "; give more digits or the name");
        }
        if (byPrefix.isEmpty()) {
            throw new NotFoundException("no container named " + spelling + " or with an id starting with it in "
                    + root);
        }
        return byPrefix.get(0);
    }

    Path mount(Container given) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            Container c = current(given);
            boolean wasAttached = c.mounted() && driver.writableMounted(c.driverId());
            Path path = driver.mountWritable(c.driverId());
            try {
                records.write(c.withMountCount(c.mountCount() + 1));
            } catch (IOException | RuntimeException e) {
                if (!wasAttached) {
                    try {
                        driver.unmountWritable(c.driverId());
                    } catch (IOException | RuntimeException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                }
                throw e;
            }
            return path;
        }
    }

    int unmount(Container given) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            Container c = current(given);
            if (!c.mounted()) {
                throw new FailedPreconditionException("container " + c.name() + " is not mounted");
            }
            int left = c.mountCount() - 1;
            records.write(c.withMountCount(left)); // first: a crash before the detach leaves a mount open detaches
            if (left == 0) {
                driver.unmountWritable(c.driverId());
            }
            return left;
        }
    }

    List<Change> changes(Container given) throws IOException {
        Container c = current(given);
        return driver.changes(c.driverId(), parentDriverId(c));
    }

    LayerWriteResult diff(Container given, OutputStream out, LayerWriterOptions options) throws IOException {
        Container c = current(given);
        return driver.diff(c.driverId(), parentDriverId(c), out, options);
    }

    void remove(Container given, boolean force) throws IOException {
        try (StoreLock.Held ignored = lock.exclusive()) {
            Container c = current(given);
            if (c.mounted() && !force) {
                throw new FailedPreconditionException("container " + c.name() + " is mounted (" + c.mountCount()
                        + " mount(s)); unmount it first, or remove it with force");
            }
            if (driver.writableMounted(c.driverId())) {
                driver.unmountWritable(c.driverId());
            }
            // Record first: a crash before the driver layer is gone leaves an orphan, which the next open removes.
            records.delete(c.id());
            if (driver.exists(c.driverId())) {
                driver.remove(c.driverId());
            }
        }
        layers.removeUnusedChain(given.topLayer()); // an image removed meanwhile left its layers to this container
    }

    /** The containers created from the image whose manifest is {@code manifest}. */
    List<Container> on(Digest manifest) throws IOException {
        try (StoreLock.Held ignored = lock.shared()) {
            return records.list().stream().filter(c -> c.imageManifest().equals(manifest)).toList();
        }
    }

    /**
     * Makes the records and the attached writable views agree on open (the caller holds the lock exclusively): a
     * mounted record whose view is gone (a reboot, an umount outside strata) is set to 0 mounts, and a view attached
     * for a record that counts none (a crash between attaching and recording) is detached.
     */
    void reconcile() throws IOException {
        records.cleanup();
        for (Container c : records.list()) {
            if (!driver.exists(c.driverId())) {
                LOG.warn("container {} ({}) has lost its driver layer {}", c.name(), c.shortId(), c.driverId());
                continue;
            }
            boolean attached = driver.writableMounted(c.driverId());
            if (c.mounted() && !attached) {
                LOG.warn("forgetting the {} mount(s) of container {}: it is no longer mounted", c.mountCount(),
                        c.name());
                records.write(c.withMountCount(0));
            } else if (!c.mounted() && attached) {
                driver.unmountWritable(c.driverId()); // a no-op where the view is the layer's directory
            }
        }
    }

    private Container current(Container given) throws IOException {
        try (StoreLock.Held ignored = lock.shared()) {
            return records.get(given.id()).orElseThrow(() -> new NotFoundException("container " + given.name()
                    + " (" + given.shortId() + ") does not exist in " + root));
        }
    }

    private String parentDriverId(Container c) throws IOException {
        return layers.get(c.topLayer()).map(LayerRecord::driverId).orElseThrow(() -> new NotFoundException(
                "image layer " + c.topLayer() + " under container " + c.name() + " is not stored in " + root));
    }

    private void forgetPending(String driverId, LayerLease lease, Throwable failure) {
        try (StoreLock.Held ignored = lock.exclusive()) {
            lease.removePending(driverId);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static String requireFree(List<Container> all, String name) {
        Optional<Container> taken = all.stream().filter(c -> c.name().equals(name)).findFirst();
        if (taken.isPresent()) {
            throw new AlreadyExistsException("the container name " + name + " is in use by " + taken.get().shortId());
        }
        return name;
    }

    private static String generateName(List<Container> all) {
        for (int attempt = 0; ; attempt++) {
            String n = ADJECTIVES[RANDOM.nextInt(ADJECTIVES.length)] + "_" + NOUNS[RANDOM.nextInt(NOUNS.length)]
                    + (attempt < 8 ? "" : "_" + HexFormat.of().formatHex(randomBytes(3)));
            if (all.stream().noneMatch(c -> c.name().equals(n))) {
                return n;
            }
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
