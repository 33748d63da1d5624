package dev.strata.cli;

import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.ManifestResponse;
import dev.strata.image.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code image-tool tag docker://SRC NEW_TAG}: the same manifest under another tag, no blob sent. */
@Command(name = "tag", mixinStandardHelpOptions = true,
        description = "Put the manifest SRC names under NEW_TAG in the same repository: the manifest's exact bytes "
                + "are sent again, no blob is (the digest stays the same).",
        footer = {"", "Examples:", "  image-tool tag docker://127.0.0.1:5000/app:1.0 stable"})
final class TagCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SRC", description = "A registry reference (docker://HOST/REPO:TAG).")
    String source;

    @Parameters(index = "1", paramLabel = "NEW_TAG", description = "The tag to add, in the same repository.")
    String newTag;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        ImageReference ref = Remote.reference(source);
        ImageReference dest;
        try {
            dest = ImageReference.parse(ref.registry() + "/" + ref.repository() + ":" + newTag);
        } catch (RuntimeException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "'" + newTag + "' is not a valid tag: "
                    + e.getMessage());
        }
        RegistryClient client = RegistryClient.create(ref, registry.options(ref, spec.commandLine()));
        ManifestResponse m = client.getManifest(ref.repository(), ref.reference());
        client.putManifest(ref.repository(), newTag, m.raw(), m.mediaType());
        System.out.println(dest + " " + m.digest());
        return ExitCodes.OK;
    }
}
