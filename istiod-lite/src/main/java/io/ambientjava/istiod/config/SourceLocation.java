package io.ambientjava.istiod.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a resource was read from.
 *
 * @param file the file (as given to the source, usually relative to the config folder)
 * @param document the position of the YAML document in the file, counting from 1; 0 when the location names a
 *     whole object (a Kubernetes API path) rather than one document of a file
 */
public record SourceLocation(Path file, int document) {

    public SourceLocation {
        Objects.requireNonNull(file, "file");
        if (document < 0) {
            throw new IllegalArgumentException("document positions count from 1: " + document);
        }
    }

    /** A whole object, such as {@code kubernetes:/api/v1/namespaces/shop/pods/web-0}. */
    public static SourceLocation ofObject(String name) {
        return new SourceLocation(Path.of(name), 0);
    }

    @Override
    public String toString() {
        return document == 0 ? file.toString() : file + " (document " + document + ")";
    }
}
