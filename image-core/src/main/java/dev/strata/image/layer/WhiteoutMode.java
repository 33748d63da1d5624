package dev.strata.image.layer;

/** What a layer's OCI whiteouts become on disk. */
public enum WhiteoutMode {
    /**
     * Applied as deletions (plain directories, the VFS driver, {@code unpack}): {@code .wh.X} removes X from lower
     * content, {@code .wh..wh..opq} removes the lower descendants of its directory, the layer's own entries staying
     * (see {@link LayerApplier}); the markers never appear.
     */
    DELETE,
    /**
     * Written in overlayfs form for an upper/diff directory: {@code .wh.X} becomes a character device 0/0 and
     * {@code .wh..wh..opq} the {@code trusted.overlay.opaque=y} xattr ({@code user.overlay.opaque} with
     * {@link ApplyOptions#userXattrs()}). A directory of the layer that the layer also whites out becomes opaque.
     * Mounted over the lower layers, the result equals the delete form's.
     */
    OVERLAY
}
