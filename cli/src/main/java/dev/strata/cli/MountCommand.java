package dev.strata.cli;

import dev.strata.image.store.ImageMount;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool mount [IMAGE]}: a read-only view of an image that stays until {@code umount}; no IMAGE lists. */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = "Mount IMAGE read-only and print where (overlay: an overlay of its layers; vfs: the top layer's "
                + "directory). The mount outlives this command: release it with 'umount'. Mounting twice needs two "
                + "umounts. Without IMAGE, list the mounted images.",
        footer = {"", "Examples:", "  cd \"$(image-tool --root /srv/strata mount docker.io/library/alpine:3.20)\"",
                "  image-tool --root /srv/strata mount --json"})
final class MountCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE", description = "An image name in the store.")
    String image;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        try (Store s = tool.openStore()) {
            if (image == null) {
                list(s.mounts());
                return ExitCodes.OK;
            }
            String name = s.resolveImage(image).name();
            Path path = s.mount(name);
            if (json) {
                ImageMount m = s.mounts().stream().filter(x -> x.name().equals(name)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("mount of " + image + " was not recorded"));
                Output.printJson(fields(m));
            } else {
                System.out.println(path);
            }
        }
        return ExitCodes.OK;
    }

    private void list(List<ImageMount> mounts) {
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            mounts.forEach(m -> out.add(fields(m)));
            Output.printJson(out);
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (ImageMount m : mounts) {
            // NAME PATH COUNT: the count is how many umounts detach the view
            sb.append(m.name()).append(' ').append(m.path()).append(' ').append(m.count()).append('\n');
        }
        System.out.print(sb);
    }

    static Map<String, Object> fields(ImageMount m) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("name", m.name());
        f.put("path", m.path().toString());
        f.put("layer", m.layer().toString());
        f.put("count", m.count());
        return f;
    }
}
