package dev.strata.cli;

import dev.strata.image.reference.ImageReference;

/** Registry references as the remote commands take them: {@code docker://REF} (skopeo's spelling) or bare. */
final class Remote {
    private Remote() {
    }

    static ImageReference reference(String arg) {
        return ImageReference.parse(arg.startsWith("docker://") ? arg.substring("docker://".length()) : arg);
    }
}
