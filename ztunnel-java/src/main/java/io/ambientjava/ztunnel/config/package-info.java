/**
 * ztunnel's local config: the YAML upstream ztunnel reads from {@code LOCAL_XDS_PATH} or {@code LOCAL_XDS}
 * ({@code workloads}, {@code services}, {@code policies}, camelCase keys, unknown fields refused). {@link
 * io.ambientjava.ztunnel.config.LocalConfigLoader} turns a document into a state update; {@link
 * io.ambientjava.ztunnel.config.LocalConfigSource} watches a file and keeps the store in step with it.
 */
package io.ambientjava.ztunnel.config;
