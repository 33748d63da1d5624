package dev.strata.cli;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code image-tool delete docker://REF}: deletes a manifest. The distribution API deletes by digest, so every tag
 * naming the same manifest goes with it; unless {@code --force}, that is refused and the other tags named.
 */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete the manifest REF names from its registry. The registry deletes by digest, so every "
                + "tag of the repository that names the same manifest goes too: without --force the delete is "
                + "refused when there are such tags, and they are named.",
        footer = {"", "Examples:", "  image-tool delete docker://127.0.0.1:5000/app:old",
                "  image-tool delete --force docker://127.0.0.1:5000/app@sha256:..."})
final class DeleteCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REF", description = "A registry reference, by tag or digest.")
    String reference;

    @Option(names = "--force", description = "Delete even when other tags name the same manifest (they go too).")
    boolean force;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        ImageReference ref = Remote.reference(reference);
        RegistryClient client = RegistryClient.create(ref, registry.options(ref, spec.commandLine()));
        Digest digest = ref.digest() != null ? ref.digest() : client.headManifest(ref.repository(), ref.tag())
                .map(Descriptor::digest)
                .orElseThrow(() -> new dev.strata.image.NotFoundException("no manifest " + ref));
        List<String> alsoNamed = new ArrayList<>();
        for (String tag : client.listTags(ref.repository())) {
            if (tag.equals(ref.tag())) {
                continue;
            }
            Optional<Descriptor> d = client.headManifest(ref.repository(), tag);
            if (d.isPresent() && d.get().digest().equals(digest)) {
                alsoNamed.add(tag);
            }
        }
        if (!alsoNamed.isEmpty() && !force) {
            throw new FailedPreconditionException("deleting " + ref + " would delete " + digest + ", which the tags "
                    + String.join(", ", alsoNamed) + " name too (the registry deletes by digest); --force deletes "
                    + "them all");
        }
        client.deleteManifest(ref.repository(), digest);
        System.out.println("Deleted " + ref.registry() + "/" + ref.repository() + "@" + digest
                + (alsoNamed.isEmpty() ? "" : " (and the tags " + String.join(", ", alsoNamed) + ")"));
        return ExitCodes.OK;
    }
}
