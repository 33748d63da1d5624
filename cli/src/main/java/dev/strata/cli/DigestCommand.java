package dev.strata.cli;

import dev.strata.image.digest.Digest;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code image-tool digest docker://REF}: the manifest digest a tag points at, from a HEAD request. */
@Command(name = "digest", mixinStandardHelpOptions = true,
        description = "Print the digest of the manifest (or index) REF names in its registry: a HEAD request, a GET "
                + "when the registry sends no digest. Nothing is downloaded beyond that.",
        footer = {"", "Examples:", "  image-tool digest docker://127.0.0.1:5000/app:1"})
final class DigestCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REF", description = "A registry reference (docker://HOST/REPO:TAG).")
    String reference;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        ImageReference ref = Remote.reference(reference);
        RegistryClient client = RegistryClient.create(ref, registry.options(ref, spec.commandLine()));
        Digest digest;
        try {
            digest = client.headManifest(ref.repository(), ref.reference())
                    .orElseThrow(() -> new dev.strata.image.NotFoundException("no manifest " + ref))
                    .digest();
        } catch (dev.strata.image.InvalidImageException noDigestHeader) {
            digest = client.getManifest(ref.repository(), ref.reference()).digest();
        }
        System.out.println(digest);
        return ExitCodes.OK;
    }
}
