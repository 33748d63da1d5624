package dev.strata.cli;

import dev.strata.image.bundle.BundleOptions;
import dev.strata.image.bundle.OciRuntime;
import dev.strata.image.bundle.RuntimeBundle;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.store.Container;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code image-tool container run [--runtime NAME|PATH] [--tty] CONTAINER -- CMD [ARG...]}: runs a command in the
 * container through an OCI runtime, with the container's read-write mount as the bundle's rootfs (no copy), so
 * what the command writes is in the container's layer afterwards: create, run, commit is a RUN step. The
 * command's stdout and stderr pass through and its exit code is this command's exit code.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run CMD in CONTAINER through an OCI runtime (runc by default); its files change in place. "
                + "CMD's output passes through and its exit code is this command's.")
final class ContainerRunCommand implements Callable<Integer> {
    @ParentCommand
    ContainerCommand parent;

    @Option(names = "--runtime", paramLabel = "NAME|PATH", description = "The OCI runtime (default: runc on PATH).")
    String runtime;

    @Option(names = "--tty", description = "Give the command a terminal (stdin must be one).")
    boolean tty;

    @Parameters(index = "0", paramLabel = "CONTAINER", description = "A name or an unambiguous id prefix.")
    String container;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments "
            + "(after --); they replace the image's Entrypoint and Cmd.")
    List<String> command;

    @Override
    public Integer call() throws IOException {
        OciRuntime oci = runtime == null ? OciRuntime.find() : OciRuntime.find(runtime);
        Container c;
        Path rootfs;
        ImageConfig config;
        // The store is not held open while the command runs: other commands may use it meanwhile; the counted
        // mount keeps the rootfs in place.
        try (Store s = parent.openStore()) {
            c = s.resolveContainer(container);
            ImageManifest manifest = Manifests.parseManifest(s.content().readSmall(c.imageManifest()), null);
            config = Manifests.parseConfig(s.content().readSmall(manifest.config().digest()));
            rootfs = s.mountContainer(c);
        }
        List<String> madeByRuntime = absentMountPoints(rootfs);
        Path bundle = Files.createTempDirectory("strata-run-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            RuntimeBundle.write(bundle, config, BundleOptions.defaults().withRootfs(rootfs).withArgs(command)
                    .withTerminal(tty).withHostname(c.shortId()));
            return oci.run(bundle, "strata-" + c.shortId() + "-" + ProcessHandle.current().pid(), tty);
        } finally {
            deleteTree(bundle);
            removeEmptyMountPoints(rootfs, madeByRuntime);
            try (Store s = parent.openStore()) {
                s.unmountContainer(s.resolveContainer(c.id()));
            }
        }
    }

    /**
     * The runtime creates the mount points of /proc, /dev and /sys (and those below them) when the image lacks
     * them; left there, they would show in the container's diff and in a commit. Those absent before the run are
     * removed again afterwards when still empty, innermost first, through RootedFs: the rootfs is the
     * container's, so nothing in it is followed. (Docker keeps them in an init layer instead.)
     */
    private static final List<String> MOUNT_POINTS = List.of("dev/pts", "dev/shm", "dev/mqueue", "dev",
            "sys/fs/cgroup", "sys/fs", "sys", "proc");

    private static List<String> absentMountPoints(Path rootfs) throws IOException {
        List<String> absent = new java.util.ArrayList<>();
        try (RootedFs fs = RootedFs.open(rootfs)) {
            for (String p : MOUNT_POINTS) {
                if (!fs.exists(p)) {
                    absent.add(p);
                }
            }
        }
        return absent;
    }

    private static void removeEmptyMountPoints(Path rootfs, List<String> absentBefore) throws IOException {
        try (RootedFs fs = RootedFs.open(rootfs)) {
            for (String p : absentBefore) {
                try {
                    fs.rmdir(p);
                } catch (IOException notEmptyOrGone) {
                    // written to by the command, or not made by the runtime: it stays, and diff shows it
                }
            }
        }
    }

    /** The bundle directory holds only our config.json (the rootfs is elsewhere, by absolute path). */
    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
