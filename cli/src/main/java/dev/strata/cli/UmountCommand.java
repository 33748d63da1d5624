package dev.strata.cli;

import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool umount IMAGE|PATH}: releases one {@code mount}; the last release detaches the view. */
@Command(name = "umount", aliases = "unmount", mixinStandardHelpOptions = true,
        description = "Release one mount of IMAGE (by name, or by the path 'mount' printed). The view is detached "
                + "when its last mount is released, whichever process made them.",
        footer = {"", "Examples:", "  image-tool --root /srv/strata umount docker.io/library/alpine:3.20",
                "  image-tool --root /srv/strata umount /srv/strata/overlay/layers/<id>/view"})
final class UmountCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Parameters(index = "0", paramLabel = "IMAGE|PATH", description = "A mounted image, or the path mount printed.")
    String target;

    @Option(names = "--json", description = "Print {\"name\", \"remaining\"} as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        int remaining;
        String name;
        try (Store s = tool.openStore()) {
            // A mount's name or path as mount printed them (the store refuses a path two names share), else any
            // spelling of the image.
            java.util.List<dev.strata.image.store.ImageMount> byPath = s.mounts().stream()
                    .filter(m -> m.path().toString().equals(target)).toList();
            boolean known = s.mounts().stream().anyMatch(m -> m.name().equals(target)) || !byPath.isEmpty()
                    || target.startsWith("/");
            name = !known ? s.resolveImage(target).name() : byPath.size() == 1 ? byPath.get(0).name() : target;
            remaining = s.unmount(known && byPath.size() != 1 ? target : name);
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", name);
            out.put("remaining", remaining);
            Output.printJson(out);
        } else {
            System.err.println(remaining == 0 ? "image-tool: unmounted " + target
                    : "image-tool: released one mount of " + target + "; still mounted (" + remaining + " left)");
        }
        return ExitCodes.OK;
    }
}
