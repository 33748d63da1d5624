package dev.strata.image.model;

import dev.strata.image.digest.Digest;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An image configuration (OCI {@code application/vnd.oci.image.config.v1+json} or Docker's
 * {@code application/vnd.docker.container.image.v1+json}): platform, runtime defaults, the layer DiffIDs and
 * the history. Raw bytes are kept and copied as in {@link ImageManifest}.
 *
 * @param variant   may be null
 * @param osVersion may be null
 * @param created   may be null
 * @param author    may be null
 * @param rootfsType always {@code layers} for a parsed config
 * @param diffIds   uncompressed layer digests, in layer order
 * @param digest    digest of {@code raw}; pass null to have it computed (SHA-256); a given digest is checked
 */
public record ImageConfig(String architecture, String os, String variant, String osVersion, Instant created,
                          String author, RuntimeConfig config, String rootfsType, List<Digest> diffIds,
                          List<HistoryEntry> history, byte[] raw, Digest digest) {

    public ImageConfig {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(rootfsType, "rootfsType");
        Objects.requireNonNull(raw, "raw");
        config = config == null ? RuntimeConfig.EMPTY : config;
        diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
        history = history == null ? List.of() : List.copyOf(history);
        raw = raw.clone();
        digest = RawBytes.checkDigest(raw, digest);
    }

    /**
     * The config of an image with no layers yet, for {@code platform}: architecture, os, variant, os.version and
     * os.features, an empty {@code config} and {@code rootfs}.
     */
    public static ImageConfig scratch(Platform platform) {
        return Manifests.parseConfig(ConfigEditor.scratch(platform));
    }

    /** An editor that writes a new config from this one, keeping every field it does not change. */
    public ConfigEditor edit() {
        return new ConfigEditor(this);
    }

    /** The platform the image was built for. */
    public Platform platform() {
        return new Platform(os, architecture, variant, osVersion, List.of());
    }

    /** A copy of the exact bytes the config was parsed from. */
    @Override
    public byte[] raw() {
        return raw.clone();
    }

    /** Length of {@link #raw()} in bytes. */
    public long size() {
        return raw.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageConfig c && architecture.equals(c.architecture) && os.equals(c.os)
                && Objects.equals(variant, c.variant) && Objects.equals(osVersion, c.osVersion)
                && Objects.equals(created, c.created) && Objects.equals(author, c.author)
                && config.equals(c.config) && rootfsType.equals(c.rootfsType) && diffIds.equals(c.diffIds)
                && history.equals(c.history) && digest.equals(c.digest) && Arrays.equals(raw, c.raw);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "ImageConfig[" + platform() + " " + digest + ", " + diffIds.size() + " layers]";
    }
}
