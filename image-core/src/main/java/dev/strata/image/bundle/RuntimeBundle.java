package dev.strata.image.bundle;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.InvalidImageException;
import dev.strata.image.fs.NoFollowDir;
import dev.strata.image.model.ImageConfig;
import dev.strata.image.model.RuntimeConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an OCI runtime bundle's {@code config.json} for an image, as {@code umoci unpack} does after the rootfs:
 * <ul>
 *   <li>process: args from Entrypoint + Cmd (Docker's rule), or the options' args instead of both; the image's Env
 *       with the options' over it, {@code PATH} defaulted as {@code runc spec} and Docker do, {@code TERM=xterm}
 *       with a terminal, {@code HOME} from the user's passwd entry unless set; cwd from WorkingDir ({@code /} by default); uid, gid and supplementary gids resolved from
 *       the rootfs's own {@code /etc/passwd} and {@code /etc/group} ({@link ExecUser#resolve});</li>
 *   <li>pid, network, ipc, uts and mount namespaces; {@code /proc}, {@code /dev}, {@code /dev/pts},
 *       {@code /dev/shm}, {@code /dev/mqueue}, {@code /sys}, {@code /sys/fs/cgroup}; masked and read-only paths,
 *       rlimits and the device rule as {@code runc spec} writes them; a writable root.</li>
 * </ul>
 * The rootfs must be in place first (the caller unpacks it, e.g. with {@code Store.unpack} into
 * {@code BUNDLE/rootfs}): the user is resolved in it.
 */
public final class RuntimeBundle {
    /** The bundle's spec file, as the runtime spec names it. */
    public static final String CONFIG_JSON = "config.json";
    /** Where {@link BundleOptions#rootfs()} null puts the root, relative to the bundle. */
    public static final String ROOTFS = "rootfs";
    static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private RuntimeBundle() {
    }

    /**
     * Writes {@code bundleDir/config.json} (replacing one that is there; temp file, fsync, rename) for a container of
     * the image whose config is {@code config}.
     *
     * @return the process the spec starts
     * @throws FailedPreconditionException when the bundle directory or the rootfs is not a directory
     * @throws dev.strata.image.NotFoundException when the image's USER names a user or group its rootfs lacks
     */
    public static BundleProcess write(Path bundleDir, ImageConfig config, BundleOptions options) throws IOException {
        Path bundle = bundleDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(bundle, LinkOption.NOFOLLOW_LINKS)) {
            throw new FailedPreconditionException("bundle directory " + bundleDir + " is not a directory");
        }
        Path rootfs = options.rootfs() == null ? bundle.resolve(ROOTFS) : options.rootfs().toAbsolutePath().normalize();
        if (!Files.isDirectory(rootfs)) {
            throw new FailedPreconditionException("rootfs " + rootfs + " is not a directory");
        }
        BundleProcess process = process(rootfs, config.config(), options);
        String rootPath = options.rootfs() == null ? ROOTFS : rootfs.toString();
        byte[] json = RuntimeSpecWriter.write(process, rootPath, options.hostname());
        try (NoFollowDir dir = NoFollowDir.open(bundle, FailedPreconditionException::new)) {
            String temp = "." + CONFIG_JSON + "." + HexFormat.of().formatHex(random()) + ".tmp";
            dir.writeNew(temp, json, 0644);
            try {
                dir.rename(temp, dir, CONFIG_JSON);
            } catch (IOException | RuntimeException e) {
                dir.unlink(temp);
                throw e;
            }
            dir.fsync();
        }
        return process;
    }

    /** What {@link #write} puts under {@code process}, for the image's runtime config in {@code rootfs}. */
    static BundleProcess process(Path rootfs, RuntimeConfig image, BundleOptions options) throws IOException {
        List<String> args = new ArrayList<>();
        if (!options.args().isEmpty()) {
            args.addAll(options.args());
        } else {
            args.addAll(image.entrypoint());
            args.addAll(image.cmd());
        }
        if (args.isEmpty()) {
            args.add("sh"); // what runc spec and umoci unpack write when the image names no command
        }
        String userSpec = options.user() != null ? options.user() : image.user();
        ExecUser user = ExecUser.resolve(rootfs, userSpec);
        return new BundleProcess(args, env(image.env(), options, user), cwd(image.workingDir()), user,
                options.terminal());
    }

    private static List<String> env(List<String> imageEnv, BundleOptions options, ExecUser user) {
        // Keyed by name, in first-seen order: an option's entry takes an image entry's place.
        Map<String, String> byKey = new LinkedHashMap<>();
        for (String e : imageEnv) {
            byKey.put(key(e), e);
        }
        for (String e : options.env()) {
            byKey.put(key(e), e);
        }
        List<String> out = new ArrayList<>();
        if (!byKey.containsKey("PATH")) {
            out.add(DEFAULT_PATH);
        }
        out.addAll(byKey.values());
        if (!byKey.containsKey("HOME")) {
            out.add("HOME=" + user.home()); // as Docker and umoci: the user's home from the rootfs's passwd
        }
        if (options.terminal() && !byKey.containsKey("TERM")) {
            out.add("TERM=xterm");
        }
        for (String e : out) {
            if (e.indexOf('\0') >= 0) {
                throw new InvalidImageException("environment entry with a NUL byte in the image config");
            }
        }
        return out;
    }

    private static String key(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(0, eq);
    }

    private static String cwd(String workingDir) {
        if (workingDir == null || workingDir.isEmpty()) {
            return "/";
        }
        if (workingDir.indexOf('\0') >= 0) {
            throw new InvalidImageException("WorkingDir with a NUL byte in the image config");
        }
        // The runtime wants an absolute cwd; Docker and buildah read a relative WorkingDir from the root.
        return workingDir.startsWith("/") ? workingDir : "/" + workingDir;
    }

    private static byte[] random() {
        byte[] b = new byte[6];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
