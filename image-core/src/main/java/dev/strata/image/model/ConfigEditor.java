package dev.strata.image.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.image.digest.Digest;
import dev.strata.image.internal.JsonTrees;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Writes a new image config from an existing one ({@link ImageConfig#edit()}): the runtime config replaced, layers
 * (DiffID and history entry) and empty-layer history entries appended, {@code created} and {@code author} set.
 * The source's JSON tree is edited, not re-serialized from the model, so every member this library does not model
 * (Docker's {@code container_config}, {@code Healthcheck} inside {@code config}, vendor fields) stays as it was,
 * and a runtime field that did not change keeps its exact JSON (a {@code null} Cmd stays {@code null}, an absent one
 * absent). A changed field that became empty is removed ({@code null}-ish, as Go's {@code omitempty} writes it),
 * except an explicit empty Entrypoint or Cmd, written as {@code []}. The result is parsed back with the strict parser
 * ({@link Manifests#parseConfig}), so it is never looser than what is read. Not thread-safe.
 */
public final class ConfigEditor {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ImageConfig base;
    private RuntimeConfig runtime;
    private final List<Digest> newDiffIds = new ArrayList<>();
    private final List<HistoryEntry> newHistory = new ArrayList<>();
    private boolean createdSet;
    private Instant created;
    private boolean authorSet;
    private String author;

    ConfigEditor(ImageConfig base) {
        this.base = Objects.requireNonNull(base, "base");
        this.runtime = base.config();
    }

    /** The config being edited. */
    public ImageConfig base() {
        return base;
    }

    /** The runtime config as edited so far. */
    public RuntimeConfig runtimeConfig() {
        return runtime;
    }

    /** Replaces the runtime config. */
    public ConfigEditor runtimeConfig(RuntimeConfig value) {
        runtime = Objects.requireNonNull(value, "runtime config");
        return this;
    }

    /** Changes the runtime config through its builder, e.g. {@code edit.runtimeConfig(b -> b.user("app"))}. */
    public ConfigEditor runtimeConfig(UnaryOperator<RuntimeConfig.Builder> change) {
        runtime = change.apply(runtime.toBuilder()).build();
        return this;
    }

    /**
     * Appends a layer: its DiffID to {@code rootfs.diff_ids} and, when {@code history} is not null, its history entry.
     *
     * @throws IllegalArgumentException if {@code history} says {@code empty_layer}
     */
    public ConfigEditor addLayer(Digest diffId, HistoryEntry history) {
        Objects.requireNonNull(diffId, "diffId");
        if (history != null && history.emptyLayer()) {
            throw new IllegalArgumentException("the history entry of a layer must not be an empty_layer entry");
        }
        newDiffIds.add(diffId);
        if (history != null) {
            newHistory.add(history);
        }
        return this;
    }

    /**
     * Appends a history entry that made no layer (a config change such as {@code ENV}).
     *
     * @throws IllegalArgumentException unless {@code entry.emptyLayer()}
     */
    public ConfigEditor addHistory(HistoryEntry entry) {
        if (!entry.emptyLayer()) {
            throw new IllegalArgumentException("a history entry without a layer must say empty_layer");
        }
        newHistory.add(entry);
        return this;
    }

    /** The config's {@code created} time; null removes it. */
    public ConfigEditor created(Instant value) {
        createdSet = true;
        created = value;
        return this;
    }

    /** The config's {@code author}; null removes it. */
    public ConfigEditor author(String value) {
        authorSet = true;
        author = value;
        return this;
    }

    /**
     * Writes the edited config as compact JSON and parses it back.
     *
     * @throws dev.strata.image.InvalidImageException if the result breaks a limit of the parser (4 MiB, 10,000
     *                                                 history entries)
     */
    public ImageConfig build() {
        ObjectNode root = sourceTree();
        if (createdSet) {
            setOrRemove(root, "created", created == null ? null : NODES.textNode(timestamp(created)));
        }
        if (authorSet) {
            setOrRemove(root, "author", author == null ? null : NODES.textNode(author));
        }
        if (!runtime.equals(base.config())) {
            writeRuntime(root);
        }
        if (!newDiffIds.isEmpty()) {
            ObjectNode rootfs = (ObjectNode) root.get("rootfs");
            JsonNode ids = rootfs.get("diff_ids");
            ArrayNode array = ids instanceof ArrayNode a ? a : rootfs.putArray("diff_ids");
            newDiffIds.forEach(d -> array.add(d.toString()));
        }
        if (!newHistory.isEmpty()) {
            JsonNode h = root.get("history");
            ArrayNode array = h instanceof ArrayNode a ? a : root.putArray("history");
            newHistory.forEach(e -> array.add(history(e)));
        }
        ImageConfig result = Manifests.parseConfig(JsonTrees.write(root));
        if (!result.config().equals(runtime)) {
            throw new IllegalStateException("an edited runtime config did not read back as written: " + runtime
                    + " became " + result.config());
        }
        return result;
    }

    /** RFC 3339 in UTC with as many fraction digits as needed, as Go's {@code time.RFC3339Nano} writes. */
    static String timestamp(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t);
    }

    private ObjectNode sourceTree() {
        try {
            // the strict parse of base already refused duplicates, depth and size beyond bounds
            return (ObjectNode) JsonTrees.read(base.raw());
        } catch (IOException e) {
            throw new UncheckedIOException("re-reading a parsed image config", e);
        }
    }

    private void writeRuntime(ObjectNode root) {
        RuntimeConfig old = base.config();
        JsonNode existing = root.get("config");
        ObjectNode c = existing instanceof ObjectNode o ? o : root.putObject("config");
        if (!Objects.equals(old.user(), runtime.user())) {
            setOrRemove(c, "User", text(runtime.user()));
        }
        if (!old.env().equals(runtime.env())) {
            setOrRemove(c, "Env", strings(runtime.env(), false));
        }
        if (!old.entrypoint().equals(runtime.entrypoint())
                || old.explicitEmptyEntrypoint() != runtime.explicitEmptyEntrypoint()) {
            setOrRemove(c, "Entrypoint", strings(runtime.entrypoint(), runtime.explicitEmptyEntrypoint()));
        }
        if (!old.cmd().equals(runtime.cmd()) || old.explicitEmptyCmd() != runtime.explicitEmptyCmd()) {
            setOrRemove(c, "Cmd", strings(runtime.cmd(), runtime.explicitEmptyCmd()));
        }
        if (!Objects.equals(old.workingDir(), runtime.workingDir())) {
            setOrRemove(c, "WorkingDir", text(runtime.workingDir()));
        }
        if (!sameOrder(old.labels().entrySet(), runtime.labels().entrySet())) {
            ObjectNode labels = NODES.objectNode();
            runtime.labels().forEach(labels::put);
            setOrRemove(c, "Labels", labels.isEmpty() ? null : labels);
        }
        if (!sameOrder(old.exposedPorts(), runtime.exposedPorts())) {
            setOrRemove(c, "ExposedPorts", keySet(runtime.exposedPorts()));
        }
        if (!sameOrder(old.volumes(), runtime.volumes())) {
            setOrRemove(c, "Volumes", keySet(runtime.volumes()));
        }
        if (!Objects.equals(old.stopSignal(), runtime.stopSignal())) {
            setOrRemove(c, "StopSignal", text(runtime.stopSignal()));
        }
    }

    /** Equal as sets and maps are not enough: a reordered label set is a change to write. */
    private static boolean sameOrder(Collection<?> a, Collection<?> b) {
        return new ArrayList<>(a).equals(new ArrayList<>(b));
    }

    private static JsonNode text(String s) {
        return s == null ? null : NODES.textNode(s);
    }

    private static JsonNode strings(List<String> values, boolean keepEmpty) {
        if (values.isEmpty() && !keepEmpty) {
            return null;
        }
        ArrayNode a = NODES.arrayNode();
        values.forEach(a::add);
        return a;
    }

    private static JsonNode keySet(Collection<String> keys) {
        if (keys.isEmpty()) {
            return null;
        }
        ObjectNode o = NODES.objectNode();
        keys.forEach(k -> o.putObject(k));
        return o;
    }

    private static void setOrRemove(ObjectNode o, String name, JsonNode value) {
        if (value == null) {
            o.remove(name);
        } else {
            o.set(name, value);
        }
    }

    private static ObjectNode history(HistoryEntry e) {
        ObjectNode h = NODES.objectNode();
        if (e.created() != null) {
            h.put("created", timestamp(e.created()));
        }
        if (e.createdBy() != null) {
            h.put("created_by", e.createdBy());
        }
        if (e.author() != null) {
            h.put("author", e.author());
        }
        if (e.comment() != null) {
            h.put("comment", e.comment());
        }
        if (e.emptyLayer()) {
            h.put("empty_layer", true);
        }
        return h;
    }

    /** Member order of a config written from nothing: what {@code docker build} and buildkit write first. */
    static byte[] scratch(Platform platform) {
        ObjectNode root = NODES.objectNode();
        root.put("architecture", platform.architecture());
        root.put("os", platform.os());
        if (platform.osVersion() != null) {
            root.put("os.version", platform.osVersion());
        }
        if (!platform.osFeatures().isEmpty()) {
            ArrayNode f = root.putArray("os.features");
            platform.osFeatures().forEach(f::add);
        }
        if (platform.variant() != null) {
            root.put("variant", platform.variant());
        }
        root.putObject("config");
        ObjectNode rootfs = root.putObject("rootfs");
        rootfs.put("type", "layers");
        rootfs.putArray("diff_ids");
        return JsonTrees.write(root);
    }
}
