package dev.strata.cli;

import dev.strata.image.store.ImageRecord;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool images}: the names in the store. */
@Command(name = "images", mixinStandardHelpOptions = true, description = "List the images in the store.",
        footer = {"", "Examples:", "  image-tool images", "  image-tool --root /srv/strata images --json"})
final class ImagesCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Only the names.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        List<ImageRecord> images = new ArrayList<>();
        if (Store.exists(tool.storeRoot()) || !isAbsentOrEmpty(tool.storeRoot())) {
            try (Store s = tool.openExistingStore()) {
                images.addAll(s.images().list());
            }
        } // else a fresh machine (or an empty directory meant for a store): nothing stored, and nothing created

        images.sort((a, b) -> a.name().compareTo(b.name()));
        if (json) {
            List<Map<String, String>> out = new ArrayList<>();
            for (ImageRecord r : images) {
                Map<String, String> m = new LinkedHashMap<>();
                m.put("name", r.name());
                m.put("id", r.config().toString());
                m.put("manifest", r.manifest().toString());
                out.add(m);
            }
            Output.printJson(out);
            return ExitCodes.OK;
        }
        StringBuilder sb = new StringBuilder();
        if (quiet) {
            images.forEach(r -> sb.append(r.name()).append('\n'));
        } else {
            int width = Math.max(4, images.stream().mapToInt(r -> r.name().length()).max().orElse(0));
            sb.append(String.format("%-" + width + "s  %-12s  %s%n", "NAME", "IMAGE ID", "MANIFEST"));
            for (ImageRecord r : images) {
                sb.append(String.format("%-" + width + "s  %-12s  %s%n", r.name(), r.config().shortHex(),
                        r.manifest()));
            }
        }
        System.out.print(sb);
        return ExitCodes.OK;
    }

    private static boolean isAbsentOrEmpty(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }
}
