package dev.strata.image.layer;

/** What a layer's OCI whiteouts become on disk. */
public enum WhiteoutMode {
    /**
     * Applied as deletions (plain directories, the VFS driver, {@code unpack}): {@code .wh.X} removes X from lower
     * content, {@code .wh..wh..opq} removes the lower children of its directory; the markers never appear.
     */
    DELETE,
    /**
     * Written in overlayfs form for an upper/diff directory: {@code .wh.X} becomes a character device 0/0 and
     * {@code .wh..wh..opq} the {@code trusted.overlay.opaque=y} xattr ({@code user.overlay.opaque} with
     * {@link ApplyOptions#userXattrs()}).
     */
    OVERLAY
}
