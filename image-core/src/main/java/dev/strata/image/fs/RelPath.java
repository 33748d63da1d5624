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
        int n = path.length();
        for (int start = 0; start <= n; ) { // by hand, not String.split: once per tar entry on the apply path
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? n : slash;
            int len = end - start;
            if (len == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.') {
                if (!out.isEmpty()) {
                    out.remove(out.size() - 1);
                }
            } else if (len > 0 && !(len == 1 && path.charAt(start) == '.')) {
                out.add(path.substring(start, end));
            }
            start = end + 1;
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
