/**
 * Making new images: {@link dev.strata.image.build.ImageComposer} writes the config and manifest of "a base image
 * plus layers plus config edits" into a content store.
 */
package dev.strata.image.build;
