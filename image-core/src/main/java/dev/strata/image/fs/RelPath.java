package dev.strata.image.fs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A path under a root, cleaned lexically the way tar -C, docker and containerd treat archive names: a leading
 * {@code /} is dropped, empty and {@code .} components vanish, and {@code ..} removes the previous component but
 * never climbs above the root. After cleaning every component is a real name (never empty, {@code .} or
 * {@code ..}), so the final component handed to an {@code *at()} call can only name an entry of its parent.
 * {@code ..} inside symlink <em>targets</em> is different: it is resolved physically, like the kernel does in a
 * chroot (see {@link Resolver}).
 *
 * @param components the cleaned components; empty for the root itself
 * @param display    the name as the caller gave it, for messages
 */
record RelPath(List<String> components, String display) {

    static RelPath parse(String path) {
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path contains a NUL byte: " + path.replace("\0", "\\0"));
        }
        List<String> out = new ArrayList<>();
        for (String c : path.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!out.isEmpty()) {
                    out.remove(out.size() - 1);
                }
                continue;
            }
            out.add(c);
        }
        return new RelPath(Collections.unmodifiableList(out), path);
    }

    boolean isRoot() {
        return components.isEmpty();
    }

    /** The components of the parent directory; empty when the parent is the root. */
    List<String> parent() {
        return components.subList(0, Math.max(0, components.size() - 1));
    }

    /** The final component, or {@code "."} for the root itself. */
    String name() {
        return isRoot() ? "." : components.get(components.size() - 1);
    }

    /** The cleaned form, e.g. {@code etc/passwd}; empty for the root. */
    String cleaned() {
        return String.join("/", components);
    }

    @Override
    public String toString() {
        return display;
    }
}
