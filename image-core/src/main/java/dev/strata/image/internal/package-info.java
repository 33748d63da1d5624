/**
 * Plumbing shared by several packages of image-core. <strong>Not part of the API</strong>: public only because Java
 * packages cannot share package-private types; it may change in any release. Embedders use the {@code Store}
 * façade, the model records and the driver SPI instead.
 */
package dev.strata.image.internal;
