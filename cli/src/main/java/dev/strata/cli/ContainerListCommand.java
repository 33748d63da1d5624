package dev.strata.cli;

import dev.strata.image.store.Container;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool container ls [--json]}: the containers, one per line. */
@Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true,
        description = "List the containers: ID (12 digits), NAME, IMAGE, CREATED, MOUNTS.")
final class ContainerListCommand implements Callable<Integer> {
    @ParentCommand
    ContainerCommand parent;

    @Option(names = "--json", description = "Print as JSON (full ids, manifest and top layer digests).")
    boolean json;

    @Override
    public Integer call() throws IOException {
        List<Container> all;
        try (Store s = parent.openStore()) {
            all = s.containers();
        }
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            all.forEach(c -> out.add(ContainerCommand.fields(c)));
            Output.printJson(out);
            return ExitCodes.OK;
        }
        StringBuilder sb = new StringBuilder();
        for (Container c : all) {
            sb.append(c.shortId()).append(' ').append(c.name()).append(' ').append(c.imageName()).append(' ')
                    .append(c.created()).append(' ').append(c.mountCount()).append('\n');
        }
        System.out.print(sb);
        return ExitCodes.OK;
    }
}
