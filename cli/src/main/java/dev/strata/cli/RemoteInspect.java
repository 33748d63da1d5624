package dev.strata.cli;

import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageIndex;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.Platform;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.ManifestResponse;
import dev.strata.image.registry.RegistryClient;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code inspect docker://REF}: an image in a registry, read without storing anything: the manifest (the one for
 * the platform when REF names an index, whose digest and platforms are shown too), its config and the repository's
 * tags.
 */
final class RemoteInspect {
    private RemoteInspect() {
    }

    static int inspect(InspectCommand c) throws IOException {
        ImageReference ref = Remote.reference(c.image);
        RegistryClient client = RegistryClient.create(ref, c.registry.options(ref, c.spec.commandLine()));
        ManifestResponse root = client.getManifest(ref.repository(), ref.reference());
        if (c.raw == InspectCommand.Raw.manifest && (root.document() instanceof ImageManifest || c.platform == null)) {
            Output.writeExact(root.raw());
            return ExitCodes.OK;
        }
        ManifestResponse chosen = root;
        List<String> platforms = new ArrayList<>();
        if (root.document() instanceof ImageIndex index) {
            for (Descriptor d : index.manifests()) {
                if (d.platform() != null) {
                    platforms.add(d.platform().toString());
                }
            }
            Platform p = c.platform != null ? Platform.parse(c.platform) : Platform.host();
            chosen = client.getManifest(ref.repository(), index.select(p).digest().toString());
        }
        if (!(chosen.document() instanceof ImageManifest m)) {
            throw new dev.strata.image.InvalidImageException(ref + ": an index nested in an index");
        }
        if (c.raw == InspectCommand.Raw.manifest) {
            Output.writeExact(chosen.raw());
            return ExitCodes.OK;
        }
        byte[] configBytes;
        try (var in = client.fetchBlob(ref.repository(), m.config())) {
            configBytes = in.readAllBytes();
        }
        if (c.raw == InspectCommand.Raw.config) {
            Output.writeExact(configBytes);
            return ExitCodes.OK;
        }
        ImageConfig config = Manifests.parseConfig(configBytes);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", ref.toString());
        out.put("digest", root.digest().toString());
        if (chosen != root) {
            out.put("manifestDigest", chosen.digest().toString());
        }
        out.put("mediaType", root.mediaType());
        if (!platforms.isEmpty()) {
            out.put("platforms", platforms);
        }
        out.put("platform", config.platform().toString());
        out.put("config", m.config().digest().toString());
        out.put("created", config.created() != null ? config.created().toString() : null);
        out.put("labels", config.config().labels());
        out.put("size", m.layers().stream().mapToLong(Descriptor::size).sum());
        List<Object> layers = new ArrayList<>();
        for (Descriptor l : m.layers()) {
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("digest", l.digest().toString());
            layer.put("size", l.size());
            layer.put("mediaType", l.mediaType());
            layers.add(c.json ? layer : l.digest() + " " + l.size() + " " + l.mediaType());
        }
        out.put("layers", layers);
        out.put("diffIds", config.diffIds().stream().map(Digest::toString).toList());
        out.put("tags", client.listTags(ref.repository()));
        if (c.json) {
            Output.printJson(out);
            return ExitCodes.OK;
        }
        out.values().removeIf(v -> v == null || v instanceof Map<?, ?> map && map.isEmpty());
        String indent = "\n" + " ".repeat(out.keySet().stream().mapToInt(String::length).max().orElse(0) + 2);
        out.replaceAll((k, v) -> v instanceof List<?> list && !list.isEmpty()
                ? String.join(indent, list.stream().map(String::valueOf).toList()) : v);
        Output.print(out, false);
        return ExitCodes.OK;
    }
}
