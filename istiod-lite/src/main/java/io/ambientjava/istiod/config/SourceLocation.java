package io.ambientjava.istiod.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a resource was read from.
 *
 * @param file the file (as given to the source, usually relative to the config folder)
 * @param document the position of the YAML document in the file, counting from 1
 */
public record SourceLocation(Path file, int document) {

    public SourceLocation {
        Objects.requireNonNull(file, "file");
        if (document < 1) {
            throw new IllegalArgumentException("document positions count from 1: " + document);
        }
    }

    @Override
    public String toString() {
        return file + " (document " + document + ")";
    }
}
