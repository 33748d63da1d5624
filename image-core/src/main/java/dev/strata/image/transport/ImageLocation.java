package dev.strata.image.transport;

import dev.strata.image.InvalidReferenceException;
import dev.strata.image.reference.ImageReference;

import java.nio.file.Path;

/**
 * Where an image is, in skopeo's spelling: {@code docker://REF}, {@code oci:DIR[:REF]}, {@code oci-archive:FILE[:REF]},
 * {@code docker-archive:FILE[:REF]}, {@code dir:DIR} and {@code store:NAME} (the store at the CLI's {@code --root}).
 * A path ends at the first colon, as in skopeo and umoci; what follows may contain more.
 */
public sealed interface ImageLocation {

    /** An image in a registry. */
    record Registry(ImageReference reference) implements ImageLocation {
        @Override
        public String toString() {
            return "docker://" + reference;
        }
    }

    /** An image in an OCI image layout directory; {@code name} (the ref.name) null means its only image. */
    record OciLayout(Path dir, String name) implements ImageLocation {
        @Override
        public String toString() {
            return "oci:" + dir + (name != null ? ":" + name : "");
        }
    }

    /** An OCI layout packed in a tar file. */
    record OciArchive(Path file, String name) implements ImageLocation {
        @Override
        public String toString() {
            return "oci-archive:" + file + (name != null ? ":" + name : "");
        }
    }

    /**
     * A {@code docker save} archive; {@code name} is a repo:tag in it, {@code @N} the N-th image (from 0), or null:
     * its only image (reading) or no tag (writing).
     */
    record DockerArchive(Path file, String name) implements ImageLocation {
        @Override
        public String toString() {
            return "docker-archive:" + file + (name != null ? ":" + name : "");
        }
    }

    /** skopeo's {@code dir:} format: manifest.json, version and one file per blob, named by its hex digest. */
    record Dir(Path dir) implements ImageLocation {
        @Override
        public String toString() {
            return "dir:" + dir;
        }
    }

    /** An image of the store (its name, an ID prefix, NAME@DIGEST, as the store resolves them). */
    record Store(String name) implements ImageLocation {
        @Override
        public String toString() {
            return "store:" + name;
        }
    }

    /** What a name without a transport means. */
    enum Bare { REGISTRY, STORE }

    /**
     * Parses {@code spec}; a name without a known transport prefix is a registry reference or a store name, as
     * {@code bare} says.
     *
     * @throws InvalidReferenceException if the spelling is not valid for its transport
     */
    static ImageLocation parse(String spec, Bare bare) {
        if (spec == null || spec.isEmpty()) {
            throw new InvalidReferenceException("an image location is empty");
        }
        if (spec.startsWith("docker://")) {
            return new Registry(ImageReference.parse(spec.substring("docker://".length())));
        }
        int colon = spec.indexOf(':');
        String transport = colon > 0 ? spec.substring(0, colon) : "";
        String rest = colon > 0 ? spec.substring(colon + 1) : "";
        switch (transport) {
            case "oci":
                return new OciLayout(path(spec, rest), name(rest));
            case "oci-archive":
                return new OciArchive(path(spec, rest), name(rest));
            case "docker-archive":
                return new DockerArchive(path(spec, rest), name(rest));
            case "dir":
                if (rest.isEmpty()) {
                    throw new InvalidReferenceException("'" + spec + "' names no directory");
                }
                return new Dir(Path.of(rest));
            case "store":
                if (rest.isEmpty()) {
                    throw new InvalidReferenceException("'" + spec + "' names no image");
                }
                return new Store(rest);
            case "docker":
                throw new InvalidReferenceException("'" + spec + "': a registry reference is spelled docker://REF");
            default:
                return bare == Bare.REGISTRY ? new Registry(ImageReference.parse(spec)) : new Store(spec);
        }
    }

    private static Path path(String spec, String rest) {
        int colon = rest.indexOf(':');
        String p = colon < 0 ? rest : rest.substring(0, colon);
        if (p.isEmpty()) {
            throw new InvalidReferenceException("'" + spec + "' names no path");
        }
        return Path.of(p);
    }

    private static String name(String rest) {
        int colon = rest.indexOf(':');
        if (colon < 0 || colon == rest.length() - 1) {
            return null;
        }
        return rest.substring(colon + 1);
    }
}
