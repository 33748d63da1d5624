package dev.strata.image.driver;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Counts {@code get}/{@code put} pairs per layer so that a driver mounts on the first get and unmounts on the last
 * put only: two users of one layer must not pull the mount from under each other. Thread-safe.
 */
public final class MountRefs {
    private final Map<String, Integer> counts = new HashMap<>();

    /** Counts one more user of {@code id}; returns true when it is the first (the caller mounts). */
    public synchronized boolean acquire(String id) {
        return counts.merge(id, 1, Integer::sum) == 1;
    }

    /**
     * Counts one user less; returns true when it was the last (the caller unmounts).
     *
     * @throws IllegalStateException when {@code id} has no users: a put without a get is a caller bug
     */
    public synchronized boolean release(String id) {
        Integer n = counts.get(id);
        if (n == null) {
            throw new IllegalStateException("put of layer " + id + " without a matching get");
        }
        if (n == 1) {
            counts.remove(id);
            return true;
        }
        counts.put(id, n - 1);
        return false;
    }

    public synchronized int count(String id) {
        return counts.getOrDefault(id, 0);
    }

    /** The layers in use, sorted. */
    public synchronized Set<String> active() {
        return new TreeSet<>(counts.keySet());
    }

    /** Forgets every count and returns the layers that were in use (the caller unmounts them). */
    public synchronized Set<String> clear() {
        Set<String> was = new TreeSet<>(counts.keySet());
        counts.clear();
        return was;
    }
}
