package dev.strata.image.store;

import dev.strata.image.digest.Digest;
import dev.strata.image.fs.LockFile;
import dev.strata.image.model.Descriptor;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The lease files of a store, {@code <root>/leases/<uuid>.lease}: one per unfinished image, exclusively file-locked
 * ({@code flock}, see {@link LockFile}) by its process for its whole life. A lease whose lock can be taken belongs to a
 * dead process and is deleted.
 */
final class Leases {
    private static final String SUFFIX = ".lease";
    /** Leases of this JVM by file: read from memory, not from their files. */
    private static final Map<Path, LayerLease> LIVE = new ConcurrentHashMap<>();

    private final Path dir;

    Leases(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    /** What the live leases protect: layers, driver layers being applied, and content (manifests and below). */
    record Protected(Set<Digest> held, Set<String> pendingDriverIds, Set<Descriptor> content) {
    }

    /**
     * A new, empty lease. Created and locked under a temp name, then renamed: a reader never finds a lease file that is
     * not locked yet (and so never takes it for the leftover of a dead process).
     */
    LayerLease open() throws IOException {
        String id = UUID.randomUUID().toString();
        Path temp = dir.resolve(id + AtomicFiles.TEMP_INFIX + "new");
        Path file = dir.resolve(id + SUFFIX);
        LockFile lock = LockFile.createNew(temp, 0600);
        FileChannel ch = null;
        LayerLease lease = null;
        try {
            if (!lock.tryLock(false)) {
                throw new IOException("new lease file " + temp + " is locked by another process");
            }
            ch = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE);
            lease = new LayerLease(file, ch, lock, this);
            LIVE.put(file, lease); // before the file appears: live() must never open a second channel on it
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            return lease;
        } catch (IOException | RuntimeException e) {
            if (lease != null) {
                LIVE.remove(file, lease);
            }
            try {
                lock.close();
                if (ch != null) {
                    ch.close();
                }
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    void forget(LayerLease lease) {
        LIVE.remove(lease.file(), lease);
    }

    /**
     * Reads every live lease; deletes the files of dead ones (and temp files older than a minute, which a process
     * killed inside {@link #open} leaves). The caller holds the store lock exclusively.
     */
    Protected live() throws IOException {
        Set<Digest> held = new HashSet<>();
        Set<String> pending = new HashSet<>();
        Set<Descriptor> content = new HashSet<>();
        for (Path p : list()) {
            String name = p.getFileName().toString();
            if (AtomicFiles.isTemp(p)) {
                deleteIfOld(p);
                continue;
            }
            if (!name.endsWith(SUFFIX)) {
                continue;
            }
            LayerLease mine = LIVE.get(p);
            if (mine != null) {
                held.addAll(mine.held());
                pending.addAll(mine.pending());
                content.addAll(mine.content());
                continue;
            }
            try (LockFile probe = LockFile.open(p, false, 0)) {
                if (probe.tryLock(false)) { // nobody holds it: its process is gone
                    Files.deleteIfExists(p);
                    continue;
                }
                decode(Files.readString(p, StandardCharsets.UTF_8), held, pending, content);
            } catch (java.nio.file.NoSuchFileException e) {
                // closed meanwhile
            }
        }
        return new Protected(held, pending, content);
    }

    private List<Path> list() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.toList());
        }
    }

    private static void deleteIfOld(Path p) throws IOException {
        try {
            if (Files.getLastModifiedTime(p).toMillis() < System.currentTimeMillis() - 60_000) {
                Files.deleteIfExists(p);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // renamed or deleted meanwhile
        }
    }

    static String encode(Collection<Digest> held, Collection<String> pending, Collection<Descriptor> content) {
        StringBuilder sb = new StringBuilder();
        for (Descriptor d : content) {
            sb.append("content ").append(d.digest()).append(' ').append(d.size()).append(' ')
                    .append(d.mediaType()).append('\n');
        }
        for (Digest d : held) {
            sb.append("hold ").append(d).append('\n');
        }
        for (String id : pending) {
            sb.append("pending ").append(id).append('\n');
        }
        return sb.toString();
    }

    /** Lines without their newline are ignored: they cannot be complete. */
    static void decode(String text, Set<Digest> held, Set<String> pending, Set<Descriptor> content) {
        int start = 0;
        int nl;
        while ((nl = text.indexOf('\n', start)) >= 0) {
            String line = text.substring(start, nl);
            start = nl + 1;
            if (line.startsWith("hold ")) {
                held.add(Digest.parse(line.substring(5)));
            } else if (line.startsWith("pending ")) {
                pending.add(line.substring(8));
            } else if (line.startsWith("content ")) {
                String[] f = line.substring(8).split(" ", 3);
                if (f.length == 3) {
                    content.add(new Descriptor(f[2], Digest.parse(f[0]), Long.parseLong(f[1])));
                }
            }
        }
    }
}
