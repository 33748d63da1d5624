package dev.strata.image.driver;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The minimal core every storage driver implements: a set of layers, each a directory tree that starts as a copy
 * (or view) of its parent. Diff support comes from {@link DiffDriver}; {@link NaiveDiff#wrap} gives it to any driver.
 *
 * <p>Layer ids are chosen by the caller (the layer store uses random hex): 1 to 128 characters of
 * {@code [A-Za-z0-9_-]}, starting with a letter or digit (see {@link LayerIds}).
 */
public interface GraphDriver extends AutoCloseable {

    /** The provider name, e.g. {@code vfs}. */
    String name();

    /** The driver's own directory under the store root. */
    Path home();

    /**
     * Creates layer {@code id} as a child of {@code parent} (null: an empty layer whose root is a 0755 directory).
     * Crash-safe: after a kill the layer either exists completely or not at all.
     *
     * @throws dev.strata.image.AlreadyExistsException when {@code id} exists
     * @throws dev.strata.image.NotFoundException      when {@code parent} does not exist
     */
    void create(String id, String parent) throws IOException;

    /**
     * Removes layer {@code id} and its content.
     *
     * @throws dev.strata.image.NotFoundException           when it does not exist
     * @throws dev.strata.image.FailedPreconditionException when another layer has it as parent, or it is in use
     */
    void remove(String id) throws IOException;

    /**
     * The directory with the layer's full content, mounting it first where the driver needs to; every call must be
     * paired with a {@link #put}. The directory is writable: changes made to it become the layer's content.
     */
    Path get(String id) throws IOException;

    /** Releases one {@link #get}; the last release unmounts where the driver mounts. */
    void put(String id) throws IOException;

    boolean exists(String id) throws IOException;

    /**
     * A read-only view of layer {@code id}'s full content that outlives this driver instance and this process: it
     * is neither counted by {@link #get}/{@link #put} nor released by {@link #close} or by a later open, only by
     * {@link #unmountView}. Idempotent: while the view is attached, every call returns the same path. The caller
     * (the store) persists who holds it. A layer whose view is attached cannot be removed.
     *
     * <p>The default suits drivers that never mount: the view is the layer's own directory (not enforced
     * read-only). A driver that mounts in {@link #get} must override all three view methods.
     *
     * @throws dev.strata.image.NotFoundException when {@code id} does not exist
     */
    default Path mountView(String id) throws IOException {
        Path dir = get(id);
        put(id);
        return dir;
    }

    /** Detaches the view of {@link #mountView}; nothing happens when it is not attached. */
    default void unmountView(String id) throws IOException {
        if (!exists(id)) {
            throw new dev.strata.image.NotFoundException("layer " + id + " does not exist");
        }
    }

    /**
     * Whether {@code id}'s view is attached now, by any process (false for a missing layer). The store asks this
     * on open to drop records of views that went away (a reboot, an external umount) and to detach views no record
     * owns. Default: the layer exists, as its directory is the view.
     */
    default boolean viewMounted(String id) throws IOException {
        return exists(id);
    }

    /**
     * A writable view of layer {@code id}'s full content that outlives this driver instance and this process: a
     * container's root file system. Whatever is written through it becomes the layer's own content (overlay: the
     * layer's upper directory under its ancestors' read-only lowers). Like {@link #mountView} it is neither counted
     * by {@link #get}/{@link #put} nor released by {@link #close} or a later open, only by {@link #unmountWritable};
     * idempotent while attached; the caller (the store) persists who holds it. A layer whose writable view is
     * attached cannot be removed and no diff can be applied onto it; {@link #get} of it returns the same path.
     *
     * <p>The default suits drivers that never mount: the writable view is the layer's own directory.
     *
     * @throws dev.strata.image.NotFoundException           when {@code id} does not exist
     * @throws dev.strata.image.FailedPreconditionException when the driver cannot attach it now (overlay: the layer
     *                                                      is mounted by {@link #get}, whose mount would share the
     *                                                      upper and work directories)
     */
    default Path mountWritable(String id) throws IOException {
        Path dir = get(id);
        put(id);
        return dir;
    }

    /** Detaches the view of {@link #mountWritable}; nothing happens when it is not attached. */
    default void unmountWritable(String id) throws IOException {
        if (!exists(id)) {
            throw new dev.strata.image.NotFoundException("layer " + id + " does not exist");
        }
    }

    /**
     * Whether {@code id}'s writable view is attached now, by any process (false for a missing layer); asked by the
     * store on open as {@link #viewMounted} is. Default: the layer exists, as its directory is the view.
     */
    default boolean writableMounted(String id) throws IOException {
        return exists(id);
    }

    /**
     * Whether a layer's content is a directory of its own that {@link DiffDriver#applyDiff} fills without reading
     * its parent's (overlay: each layer is an upper dir). Then a child may be created on a parent that is still
     * being applied, and the layers of one chain applied at the same time — a pull applies each as its blob
     * arrives. False (the default) for drivers whose {@link #create} copies or snapshots the parent's content.
     */
    default boolean appliesLayersIndependently() {
        return false;
    }

    /** The parent of layer {@code id}, or null for a base layer. */
    String parent(String id) throws IOException;

    /** Exactly the layers created and not removed, sorted. */
    List<String> layers() throws IOException;

    /** Key/value facts for {@code status} output (backing file system, layer count, ...), in display order. */
    Map<String, String> status() throws IOException;

    /** Releases every mount and resource; the driver cannot be used afterwards. */
    @Override
    void close() throws IOException;
}
