package dev.strata.cli;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.bundle.BundleOptions;
import dev.strata.image.bundle.RuntimeBundle;
import dev.strata.image.content.ContentStore;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.Manifests;
import dev.strata.image.model.Platform;
import dev.strata.image.store.ImageRecord;
import dev.strata.image.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;

/**
 * {@code image-tool unpack IMAGE TARGET_DIR}: the flattened root file system of an image in a plain directory;
 * {@code unpack --bundle IMAGE DIR}: an OCI runtime bundle ({@code DIR/rootfs} and {@code DIR/config.json}).
 */
@Command(name = "unpack", mixinStandardHelpOptions = true,
        description = "Write the flattened root file system of IMAGE into TARGET_DIR (every layer applied in order, "
                + "whiteouts as deletions): the rootfs umoci unpack produces. With --bundle, TARGET_DIR becomes an "
                + "OCI runtime bundle: the rootfs in TARGET_DIR/rootfs and a config.json made from the image config "
                + "(command, environment, working directory, user), ready for runc run.",
        footer = {"", "IMAGE is a name in the store, or oci:DIR[:NAME] for an OCI image layout.", "",
                "Examples:", "  image-tool unpack oci:./layout:app rootfs/",
                "  image-tool --root /srv/strata unpack docker.io/library/busybox:latest rootfs/",
                "  image-tool unpack --bundle docker.io/library/busybox:latest bundle/ && runc run -b bundle/ ctr"})
final class UnpackCommand implements Callable<Integer> {
    @ParentCommand
    ImageTool tool;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "A store image or oci:DIR[:NAME].")
    String image;

    @Parameters(index = "1", paramLabel = "TARGET_DIR", description = "Where the rootfs (or the bundle) goes: must "
            + "not exist, or be empty; the rootfs is built beside its place and renamed in when complete.")
    Path target;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pick from a "
            + "multi-platform image (default: this host's).")
    String platform;

    @Option(names = "--bundle", description = "Write an OCI runtime bundle into TARGET_DIR (TARGET_DIR/rootfs and "
            + "TARGET_DIR/config.json), as umoci unpack does.")
    boolean bundle;

    @Override
    public Integer call() throws IOException {
        Platform p = platform != null ? Platform.parse(platform) : Platform.host();
        ImageArg arg = ImageArg.parse(image);
        if (bundle) {
            unpackBundle(arg, p);
            System.err.println("image-tool: unpacked " + image + " into the bundle " + target);
            return ExitCodes.OK;
        }
        if (arg.isLayout()) {
            ContentStore layout = ContentStore.openReadOnly(arg.layout());
            ImageManifest manifest = Store.resolveManifest(layout, arg.name(), p);
            Store.unpack(layout, manifest, target);
        } else {
            try (Store s = tool.openExistingStore()) {
                s.unpack(s.resolveImage(arg.name()).name(), target);
            }
        }
        System.err.println("image-tool: unpacked " + image + " into " + target);
        return ExitCodes.OK;
    }

    /** The rootfs, then config.json; on failure the bundle directory is left as it was (absent, or empty). */
    private void unpackBundle(ImageArg arg, Platform p) throws IOException {
        Path dir = target.toAbsolutePath().normalize();
        boolean created = false;
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !isEmpty(dir)) {
                throw new FailedPreconditionException("target " + target + " exists and is not an empty directory");
            }
        } else {
            // 0700 as the store's layer directories: the rootfs may hold setuid files no host user should reach.
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            created = true;
        }
        boolean done = false;
        try {
            Path rootfs = dir.resolve(RuntimeBundle.ROOTFS);
            ImageConfig config;
            if (arg.isLayout()) {
                ContentStore layout = ContentStore.openReadOnly(arg.layout());
                ImageManifest manifest = Store.resolveManifest(layout, arg.name(), p);
                config = Manifests.parseConfig(layout.readSmall(manifest.config().digest()));
                Store.unpack(layout, manifest, rootfs);
            } else {
                try (Store s = tool.openExistingStore()) {
                    ImageRecord record = s.resolveImage(arg.name());
                    config = Manifests.parseConfig(s.content().readSmall(record.config()));
                    s.unpack(record.name(), rootfs);
                }
            }
            RuntimeBundle.write(dir, config, BundleOptions.defaults());
            done = true;
        } finally {
            if (!done) {
                try (RootedFs fs = RootedFs.open(dir)) {
                    fs.removeAll(RuntimeBundle.ROOTFS);
                    fs.removeAll(RuntimeBundle.CONFIG_JSON);
                } catch (IOException | RuntimeException cleanup) {
                    // the first failure is the one to report
                }
                if (created) {
                    Files.deleteIfExists(dir);
                }
            }
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }
}
