package dev.strata.cli;

import dev.strata.image.store.ImageRecord;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool images}: the names in the store. */
@Command(name = "images", mixinStandardHelpOptions = true, description = "List the images in the store.",
        footer = {"", ExitCodes.HELP})
final class ImagesCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Only the names.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        List<ImageRecord> images;
        try (Store s = tool.openStore()) {
            images = new ArrayList<>(s.images().list());
        }
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
}
