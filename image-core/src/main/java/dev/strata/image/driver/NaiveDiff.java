package dev.strata.image.driver;

import dev.strata.image.layer.ApplyOptions;
import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.Changes;
import dev.strata.image.layer.Compression;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriter;
import dev.strata.image.layer.LayerWriterOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Gives any {@link GraphDriver} diff support by walking trees: changes are {@link Changes#between} the parent's and
 * the layer's directories, diffs are those changes written by {@link LayerWriter}, and a diff is applied with
 * {@link LayerApplier} in deletion form onto the layer's directory. A driver with a native change set (overlay's
 * upper directory) implements {@link DiffDriver} itself instead.
 */
public final class NaiveDiff implements DiffDriver {
    private final GraphDriver driver;
    private final ApplyOptions applyOptions;

    private NaiveDiff(GraphDriver driver, ApplyOptions applyOptions) {
        this.driver = driver;
        this.applyOptions = applyOptions;
    }

    /** {@code driver} itself when it already diffs, else a wrapper that does it by walking trees. */
    public static DiffDriver wrap(GraphDriver driver) {
        return driver instanceof DiffDriver d ? d : new NaiveDiff(driver, ApplyOptions.defaults());
    }

    /** A wrapper applying layers with {@code options} (their whiteout mode is forced to deletion). */
    public static DiffDriver wrap(GraphDriver driver, ApplyOptions options) {
        return new NaiveDiff(driver, options.withWhiteouts(dev.strata.image.layer.WhiteoutMode.DELETE));
    }

    @Override
    public LayerWriteResult diff(String id, String parent, OutputStream out, LayerWriterOptions options)
            throws IOException {
        return withTrees(id, parent, (lower, upper) ->
                new LayerWriter(options).write(upper, Changes.between(lower, upper), out));
    }

    @Override
    public List<Change> changes(String id, String parent) throws IOException {
        return withTrees(id, parent, Changes::between);
    }

    @Override
    public ApplyResult applyDiff(String id, String parent, InputStream in) throws IOException {
        Path dir = driver.get(id);
        try {
            return new LayerApplier(applyOptions).apply(in, dir);
        } finally {
            driver.put(id);
        }
    }

    @Override
    public long diffSize(String id, String parent) throws IOException {
        return diff(id, parent, OutputStream.nullOutputStream(), LayerWriterOptions.of(Compression.NONE))
                .uncompressedSize();
    }

    @FunctionalInterface
    private interface TreeOp<T> {
        T apply(Path lower, Path upper) throws IOException;
    }

    /** Runs {@code op} on the parent's tree (an empty directory when null) and the layer's, holding both. */
    private <T> T withTrees(String id, String parent, TreeOp<T> op) throws IOException {
        Path upper = driver.get(id);
        try {
            if (parent == null) {
                Path empty = Files.createTempDirectory("strata-empty-");
                try {
                    return op.apply(empty, upper);
                } finally {
                    Files.deleteIfExists(empty);
                }
            }
            Path lower = driver.get(parent);
            try {
                return op.apply(lower, upper);
            } finally {
                driver.put(parent);
            }
        } finally {
            driver.put(id);
        }
    }

    // ---- the core, delegated -------------------------------------------------------------------------------------

    @Override
    public String name() {
        return driver.name();
    }

    @Override
    public Path home() {
        return driver.home();
    }

    @Override
    public void create(String id, String parent) throws IOException {
        driver.create(id, parent);
    }

    // appliesLayersIndependently() stays false: applyDiff here writes through the merged view, which needs the
    // parent's content in place.

    @Override
    public void remove(String id) throws IOException {
        driver.remove(id);
    }

    @Override
    public Path get(String id) throws IOException {
        return driver.get(id);
    }

    @Override
    public void put(String id) throws IOException {
        driver.put(id);
    }

    @Override
    public boolean exists(String id) throws IOException {
        return driver.exists(id);
    }

    @Override
    public Path mountView(String id) throws IOException {
        return driver.mountView(id);
    }

    @Override
    public void unmountView(String id) throws IOException {
        driver.unmountView(id);
    }

    @Override
    public boolean viewMounted(String id) throws IOException {
        return driver.viewMounted(id);
    }

    @Override
    public Path mountWritable(String id) throws IOException {
        return driver.mountWritable(id);
    }

    @Override
    public void unmountWritable(String id) throws IOException {
        driver.unmountWritable(id);
    }

    @Override
    public boolean writableMounted(String id) throws IOException {
        return driver.writableMounted(id);
    }

    @Override
    public String parent(String id) throws IOException {
        return driver.parent(id);
    }

    @Override
    public List<String> layers() throws IOException {
        return driver.layers();
    }

    @Override
    public Map<String, String> status() throws IOException {
        return driver.status();
    }

    @Override
    public void close() throws IOException {
        driver.close();
    }

    @Override
    public String toString() {
        return "NaiveDiff[" + driver + "]";
    }
}
