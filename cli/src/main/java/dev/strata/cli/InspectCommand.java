package dev.strata.cli;

import dev.strata.image.content.ContentStore;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.Platform;
import dev.strata.image.store.ImageRecord;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool inspect IMAGE}: what an image is made of, from the store or an OCI layout. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show an image's manifest digest, platform, config (entrypoint, env, ...) and layers.",
        footer = {"", "IMAGE is a name in the store, oci:DIR[:NAME] for an OCI image layout, or docker://REF for an "
                + "image in a registry (nothing is stored then).", "",
                "Examples:", "  image-tool inspect docker.io/library/busybox:latest",
                "  image-tool inspect --raw config oci:./layout:app",
                "  image-tool inspect --json docker://127.0.0.1:5000/app:1"})
final class InspectCommand implements Callable<Integer> {
    /** Which document --raw prints. */
    enum Raw { manifest, config }

    @ParentCommand
    ImageTool tool;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "A store image (any spelling pull accepts, or an "
            + "ID prefix), oci:DIR[:NAME], or docker://REF.")
    String image;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pick from a "
            + "multi-platform image in an OCI layout (default: this host's).")
    String platform;

    @Option(names = "--raw", paramLabel = "manifest|config",
            description = "Print the stored manifest or config exactly as stored (the bytes its digest is of).")
    Raw raw;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @picocli.CommandLine.Mixin
    RegistryFlags registry;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (image.startsWith("docker://")) {
            return RemoteInspect.inspect(this);
        }
        ImageArg arg = ImageArg.parse(image);
        if (arg.isLayout()) {
            ContentStore layout = ContentStore.openReadOnly(arg.layout());
            Platform p = platform != null ? Platform.parse(platform) : Platform.host();
            ImageManifest m = Store.resolveManifest(layout, arg.name(), p);
            return show(arg.name() != null ? arg.name() : image, m, layout);
        }
        try (Store s = tool.openExistingStore()) {
            ImageRecord r = s.resolveImage(arg.name());
            ImageManifest m = Manifests.parseManifest(s.content().readSmall(r.manifest()), null);
            return show(r.name(), m, s.content());
        }
    }

    private int show(String name, ImageManifest m, ContentStore content) throws IOException {
        byte[] configBytes = content.readSmall(m.config().digest());
        if (raw != null) {
            byte[] bytes = raw == Raw.manifest ? m.raw() : configBytes;
            Output.writeExact(bytes); // exactly the stored bytes: | sha256sum gives the digest
            return ExitCodes.OK;
        }
        ImageConfig c = Manifests.parseConfig(configBytes);
        long size = m.layers().stream().mapToLong(Descriptor::size).sum();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("digest", m.digest().toString());
        out.put("mediaType", m.mediaType());
        out.put("config", m.config().digest().toString());
        out.put("platform", c.platform().toString());
        out.put("created", c.created() != null ? c.created().toString() : null);
        out.put("user", c.config().user());
        out.put("workingDir", c.config().workingDir());
        out.put("entrypoint", c.config().entrypoint());
        out.put("cmd", c.config().cmd());
        out.put("env", c.config().env());
        out.put("labels", c.config().labels());
        out.put("size", size);
        out.put("layers", m.layers().stream().map(l -> layer(l)).toList());
        out.put("diffIds", c.diffIds().stream().map(Digest::toString).toList());
        List<String> missing = new java.util.ArrayList<>();
        for (Descriptor l : m.layers()) {
            if (!content.exists(l.digest())) {
                missing.add(l.digest().toString());
            }
        }
        if (!missing.isEmpty()) {
            // The stored layers hold the content (unpack and mount use them); push writes the blobs again.
            out.put("missingBlobs", missing);
            out.put("note", missing.size() + " layer blob(s) are not in the content store: the stored layers hold "
                    + "the content, and push writes the blobs again (under a new manifest digest)");
        }
        if (json) {
            Output.printJson(out);
            return ExitCodes.OK;
        }
        out.values().removeIf(v -> v == null || v instanceof Map<?, ?> map && map.isEmpty());
        out.put("layers", m.layers().stream().map(l -> l.digest() + " " + l.size() + " " + l.mediaType()).toList());
        // Output.print aligns values after the longest key and two spaces; continuation lines line up with them.
        String indent = "\n" + " ".repeat(out.keySet().stream().mapToInt(String::length).max().orElse(0) + 2);
        out.replaceAll((k, v) -> v instanceof List<?> list && !list.isEmpty()
                ? String.join(indent, list.stream().map(String::valueOf).toList()) : v);
        Output.print(out, false);
        return ExitCodes.OK;
    }

    private static Map<String, Object> layer(Descriptor l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("digest", l.digest().toString());
        m.put("size", l.size());
        m.put("mediaType", l.mediaType());
        return m;
    }
}
