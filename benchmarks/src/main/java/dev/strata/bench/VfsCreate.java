package dev.strata.bench;

import dev.strata.driver.vfs.VfsDriver;

import java.nio.file.Path;

/**
 * Times {@code VfsDriver.create(child, parent)} over a parent layer that already holds a tree, for
 * {@code compare-peers.sh vfs-create} (beside {@code cp -a} of the same tree). Prints the seconds of the create
 * alone, without JVM start-up.
 * <pre>java -cp benchmarks.jar dev.strata.bench.VfsCreate HOME PARENT_ID|- CHILD_ID</pre>
 */
public final class VfsCreate {
    private VfsCreate() {
    }

    public static void main(String[] args) throws Exception {
        try (VfsDriver driver = VfsDriver.open(Path.of(args[0]))) {
            String parent = args[1].equals("-") ? null : args[1];
            long start = System.nanoTime();
            driver.create(args[2], parent);
            if (parent == null) {
                return; // creating the base layer: keep it
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%.3f%n", seconds);
            driver.remove(args[2]);
        }
    }
}
