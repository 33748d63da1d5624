package dev.strata.image.driver;

import dev.strata.image.layer.ApplyResult;
import dev.strata.image.layer.Change;
import dev.strata.image.layer.LayerWriteResult;
import dev.strata.image.layer.LayerWriterOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * A driver that can also compute and apply layer diffs. {@code parent} null means "against the empty tree", i.e.
 * the whole layer; otherwise it is normally the layer's parent.
 */
public interface DiffDriver extends GraphDriver {

    /** Writes the changes of {@code id} against {@code parent} as an OCI layer to {@code out} (flushed, not closed). */
    LayerWriteResult diff(String id, String parent, OutputStream out, LayerWriterOptions options) throws IOException;

    /** What changed in {@code id} against {@code parent}, in tree order. */
    List<Change> changes(String id, String parent) throws IOException;

    /**
     * Applies the layer blob {@code in} (any compression) onto layer {@code id}, which was created with
     * {@code parent} and not changed since, in one streaming pass; {@code in} is read to EOF, not closed.
     */
    ApplyResult applyDiff(String id, String parent, InputStream in) throws IOException;

    /** The uncompressed size of {@link #diff}'s tar: what {@link ApplyResult#uncompressedSize()} reports for it. */
    long diffSize(String id, String parent) throws IOException;
}
