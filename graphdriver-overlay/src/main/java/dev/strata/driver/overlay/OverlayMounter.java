package dev.strata.driver.overlay;

import dev.strata.image.FailedPreconditionException;
import dev.strata.image.fs.Mounts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Mounts one overlay: lowers (topmost first), upper and work directory at a target, with the new mount API
 * ({@code lowerdir+} per layer, no size limit) or legacy {@code mount(2)} (all options in one page). Either way the
 * features that would make the upper directory unreadable as a layer (index, redirect_dir, metacopy) are switched
 * off explicitly, so the native diff stays valid whatever the module defaults are.
 */
final class OverlayMounter {
    /** The kernel's OVL_MAX_STACK. */
    static final int MAX_LOWERS = 500;
    private static final Path PARAMETERS = Path.of("/sys/module/overlay/parameters");
    private static final List<String> FORCED_OFF = List.of("index", "redirect_dir", "metacopy");

    enum Api {
        /** fsopen/fsconfig(lowerdir+)/fsmount/move_mount: Linux 6.8+. */
        NEW,
        /** mount(2) with the options in one page. */
        LEGACY
    }

    private final Api api;

    OverlayMounter(Api api) {
        this.api = api;
    }

    Api api() {
        return api;
    }

    /** NEW when overlay accepts {@code lowerdir+} through fsconfig ({@code anyDir} is only looked up), else LEGACY. */
    static Api detect(Path anyDir) {
        return Mounts.fsContextAccepts("overlay", new Mounts.Param("lowerdir+", anyDir.toAbsolutePath().toString()))
                ? Api.NEW : Api.LEGACY;
    }

    /**
     * Mounts the overlay at {@code target}.
     *
     * @param lowers      lower directories, topmost first
     * @param shortLowers the same directories by shorter paths (symlinks), used where options must fit a page
     * @throws FailedPreconditionException when there are more than {@link #MAX_LOWERS} lowers, or the legacy options
     *                                     do not fit in one page
     */
    void mount(String what, List<Path> lowers, List<Path> shortLowers, Path upper, Path work, Path target)
            throws IOException {
        if (lowers.isEmpty()) {
            throw new IllegalArgumentException("an overlay needs at least one lower directory: " + what);
        }
        if (lowers.size() > MAX_LOWERS) {
            throw tooDeep(what, lowers.size());
        }
        if (api == Api.NEW) {
            List<Mounts.Param> params = new ArrayList<>();
            for (Path l : lowers) {
                params.add(new Mounts.Param("lowerdir+", l.toString()));
            }
            params.add(new Mounts.Param("upperdir", upper.toString()));
            params.add(new Mounts.Param("workdir", work.toString()));
            for (String off : forcedOff()) {
                params.add(new Mounts.Param(off, "off"));
            }
            Mounts.mountFsContext("overlay", params, target);
            return;
        }
        String options = legacyOptions(shortLowers, upper, work);
        if (options.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Mounts.MAX_LEGACY_OPTIONS) {
            throw new FailedPreconditionException("cannot mount " + what + " with " + lowers.size()
                    + " lower layers: mount(2) options need " + options.length() + " bytes, more than one page ("
                    + Mounts.MAX_LEGACY_OPTIONS + "), and the new mount API with lowerdir+ (Linux 6.8+) is not in use");
        }
        Mounts.mount("overlay", target, "overlay", options);
    }

    /**
     * Mounts a read-only overlay of {@code lowers} (topmost first, at least two: overlayfs refuses a single lower
     * without an upper) at {@code target}: no upper, no work directory, so nothing can be written through it.
     */
    void mountReadOnly(String what, List<Path> lowers, List<Path> shortLowers, Path target) throws IOException {
        if (lowers.size() < 2) {
            throw new IllegalArgumentException("a read-only overlay needs at least two lower directories: " + what);
        }
        if (lowers.size() > MAX_LOWERS) {
            throw tooDeep(what, lowers.size());
        }
        if (api == Api.NEW) {
            List<Mounts.Param> params = new ArrayList<>();
            for (Path l : lowers) {
                params.add(new Mounts.Param("lowerdir+", l.toString()));
            }
            for (String off : forcedOff()) {
                params.add(new Mounts.Param(off, "off"));
            }
            Mounts.mountFsContext("overlay", params, target);
            return;
        }
        StringBuilder sb = new StringBuilder("lowerdir=");
        for (int i = 0; i < shortLowers.size(); i++) {
            sb.append(i > 0 ? ":" : "").append(escape(shortLowers.get(i).toString()));
        }
        for (String off : forcedOff()) {
            sb.append(',').append(off).append("=off");
        }
        String options = sb.toString();
        if (options.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Mounts.MAX_LEGACY_OPTIONS) {
            throw new FailedPreconditionException("cannot mount " + what + " with " + lowers.size()
                    + " lower layers: mount(2) options need " + options.length() + " bytes, more than one page ("
                    + Mounts.MAX_LEGACY_OPTIONS + "), and the new mount API with lowerdir+ (Linux 6.8+) is not in use");
        }
        Mounts.mount("overlay", target, "overlay", options);
    }

    static FailedPreconditionException tooDeep(String what, int lowers) {
        return new FailedPreconditionException(what + " would stack " + lowers
                + " lower layers; overlayfs allows at most " + MAX_LOWERS + " (layer depth " + (lowers + 1) + ")");
    }

    static String legacyOptions(List<Path> lowers, Path upper, Path work) {
        StringBuilder sb = new StringBuilder("lowerdir=");
        for (int i = 0; i < lowers.size(); i++) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(escape(lowers.get(i).toString()));
        }
        sb.append(",upperdir=").append(escape(upper.toString()));
        sb.append(",workdir=").append(escape(work.toString()));
        for (String off : forcedOff()) {
            sb.append(',').append(off).append("=off");
        }
        return sb.toString();
    }

    /** Backslash before the option and lowerdir separators and before backslash itself. */
    static String escape(String path) {
        StringBuilder sb = new StringBuilder(path.length());
        for (char c : path.toCharArray()) {
            if (c == '\\' || c == ':' || c == ',') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** The features this kernel knows (it has a module parameter for them) and that must be off for native diff. */
    static List<String> forcedOff() {
        List<String> out = new ArrayList<>();
        for (String p : FORCED_OFF) {
            if (Files.exists(PARAMETERS.resolve(p))) {
                out.add(p);
            }
        }
        return out;
    }
}
