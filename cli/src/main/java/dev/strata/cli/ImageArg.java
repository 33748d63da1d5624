package dev.strata.cli;

import java.nio.file.Path;

/**
 * An IMAGE argument: {@code oci:DIR[:NAME]} names an image in an OCI layout (such as skopeo or umoci write), anything
 * else a name in the store.
 *
 * @param layout the layout directory, or null for a store name
 * @param name   the name (ref.name in the layout; null: the layout's only image)
 */
record ImageArg(Path layout, String name) {
    static ImageArg parse(String arg) {
        if (!arg.startsWith("oci:")) {
            return new ImageArg(null, arg);
        }
        String rest = arg.substring("oci:".length());
        // Like skopeo and umoci: the directory ends at the first colon, the name may contain more.
        int colon = rest.indexOf(':');
        if (colon < 0) {
            return new ImageArg(Path.of(rest), null);
        }
        return new ImageArg(Path.of(rest.substring(0, colon)), rest.substring(colon + 1));
    }

    boolean isLayout() {
        return layout != null;
    }
}
