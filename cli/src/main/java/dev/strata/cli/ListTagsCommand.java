package dev.strata.cli;

import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool list-tags docker://REPO}: every tag of a repository, one per line. */
@Command(name = "list-tags", mixinStandardHelpOptions = true,
        description = "List the tags of a repository, one per line, following the registry's pages.",
        footer = {"", "Examples:", "  image-tool list-tags docker://127.0.0.1:5000/app",
                "  image-tool list-tags --json docker.io/library/busybox"})
final class ListTagsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPO", description = "A repository (docker://HOST/REPO; a tag is ignored).")
    String repository;

    @Option(names = "--json", description = "Print {\"repository\": ..., \"tags\": [...]} instead.")
    boolean json;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        ImageReference ref = Remote.reference(repository);
        List<String> tags = RegistryClient.create(ref, registry.options(ref, spec.commandLine()))
                .listTags(ref.repository());
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("repository", ref.registry() + "/" + ref.repository());
            out.put("tags", tags);
            Output.printJson(out);
        } else {
            tags.forEach(System.out::println);
        }
        return ExitCodes.OK;
    }
}
