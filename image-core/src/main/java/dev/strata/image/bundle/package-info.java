/**
 * OCI runtime bundles: a {@code config.json} (OCI runtime spec, shaped as {@code runc spec} writes it) built from an
 * image's config, beside or pointing at a root file system, and the OCI runtime ({@code runc}) that runs one.
 *
 * <p>{@link dev.strata.image.bundle.RuntimeBundle#write} writes the spec; {@link dev.strata.image.bundle.OciRuntime}
 * runs a bundle and returns the exit code of its process. The user of the process is resolved from the rootfs's own
 * {@code /etc/passwd} and {@code /etc/group} ({@link dev.strata.image.bundle.ExecUser}), read inside the root: the
 * rootfs is untrusted, and a symlink in it never reaches a host file.
 */
package dev.strata.image.bundle;
