package dev.strata.cli;

import dev.strata.image.AuthenticationException;
import dev.strata.image.NotFoundException;
import dev.strata.image.UnavailableException;
import dev.strata.image.content.ContentStore;
import dev.strata.image.model.Platform;
import dev.strata.image.progress.ProgressListener;
import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.PullOptions;
import dev.strata.image.registry.PullResult;
import dev.strata.image.registry.Puller;
import dev.strata.image.store.Store;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code image-tool pull REF}: fetches an image from a registry into the store or an OCI layout. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Pull an image from a registry into the store (layers verified and registered), or into an "
                + "OCI image layout with --dest. Blobs already stored are not fetched again; an interrupted pull "
                + "resumes where it stopped.",
        footer = {"", "Registries on localhost/127.0.0.1/[::1] are spoken to over plain HTTP; others over verified "
                + "HTTPS. Credentials come from --creds or the usual auth files ($REGISTRY_AUTH_FILE, "
                + "$XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json).", "",
                "Examples:", "  image-tool pull docker.io/library/busybox:latest",
                "  image-tool --root /tmp/store pull --platform linux/arm64/v8 127.0.0.1:5000/app:1",
                "  image-tool pull -q --dest oci:./layout:app 127.0.0.1:5000/app@sha256:…"})
final class PullCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REF", description = "Image reference: [REGISTRY/]REPOSITORY[:TAG][@DIGEST].")
    String reference;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Platform to pick from a multi-platform image (default: this host's).")
    String platform;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "" + PullOptions.DEFAULT_JOBS,
            description = "Blobs downloaded in parallel (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--dest", paramLabel = "oci:DIR[:NAME]",
            description = "Write into this OCI image layout instead of the store (NAME defaults to REF).")
    String dest;

    @CommandLine.Mixin
    RegistryFlags registry;

    @Option(names = {"-q", "--quiet"}, description = "No progress; print only the manifest digest.")
    boolean quiet;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        String bare = reference.startsWith("docker://") ? reference.substring("docker://".length()) : reference;
        Remote.reference(reference); // a malformed reference is refused before any file is read
        List<ImageReference> candidates = registry.registriesConf().resolveShortName(bare);
        ImageArg destination = dest != null ? ImageArg.parse(dest) : null;
        if (destination != null && !destination.isLayout()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--dest must be oci:DIR[:NAME], got '"
                    + dest + "'");
        }
        if (jobs < 1 || jobs > PullOptions.MAX_JOBS) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--jobs must be between 1 and "
                    + PullOptions.MAX_JOBS);
        }
        // A short name goes to each unqualified-search-registries entry in turn, until one has the image.
        for (int i = 0; ; i++) {
            ImageReference ref = candidates.get(i);
            try {
                return pull(ref, destination);
            } catch (NotFoundException | AuthenticationException | UnavailableException e) {
                if (i + 1 >= candidates.size()) {
                    throw e;
                }
                System.err.println("warning: " + ref + ": " + e.getMessage() + "; trying " + candidates.get(i + 1));
            }
        }
    }

    private Integer pull(ImageReference ref, ImageArg destination) throws IOException {
        ProgressPrinter printer = quiet ? null : ProgressPrinter.forStderr();
        PullOptions options = PullOptions.defaults()
                .withPlatform(platform != null ? Platform.parse(platform) : Platform.host())
                .withJobs(jobs)
                .withRegistry(registry.options(ref, spec.commandLine()))
                .withListener(printer != null ? printer : ProgressListener.NONE);
        PullResult result;
        try {
            if (destination != null) {
                result = Puller.pullToLayout(ref, ContentStore.open(destination.layout()), destination.name(),
                        options);
            } else {
                try (Store store = tool.openStore()) {
                    result = new Puller(store).pull(ref, options);
                }
            }
        } finally {
            if (printer != null) {
                printer.finish();
            }
        }
        if (quiet) {
            System.out.println(result.manifestDigest());
            return ExitCodes.OK;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", result.name());
        out.put("manifest", result.manifestDigest().toString());
        out.put("config", result.config().toString());
        out.put("layers", result.layers().size());
        // Layers, as docker pull counts them: the config is not one.
        out.put("downloaded", result.downloaded().stream().filter(d -> !d.equals(result.config())).count());
        out.put("alreadyPresent", result.alreadyPresent().stream().filter(d -> !d.equals(result.config())).count());
        out.put("bytesDownloaded", result.bytesDownloaded());
        if (destination != null) {
            out.put("layout", destination.layout().toString());
        }
        Output.print(out, json);
        return ExitCodes.OK;
    }
}
