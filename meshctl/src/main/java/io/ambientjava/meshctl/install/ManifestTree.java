package io.ambientjava.meshctl.install;

import io.ambientjava.meshctl.MeshctlException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files of a Kubernetes install ({@code deploy/daemonset/}), by paths relative to its root: from a folder on disk,
 * or from the copy inside meshctl's jar.
 */
public interface ManifestTree {

    /** The file's text, or empty when there is no such file. */
    java.util.Optional<String> read(String relativePath);

    /** Where the files come from, for messages. */
    String describe();

    /** The copy packed into meshctl's jar at build time. */
    static ManifestTree bundled() {
        return new ManifestTree() {
            @Override
            public java.util.Optional<String> read(String relativePath) {
                try (InputStream in =
                        ManifestTree.class.getClassLoader().getResourceAsStream("deploy/daemonset/" + relativePath)) {
                    if (in == null) {
                        return java.util.Optional.empty();
                    }
                    return java.util.Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new MeshctlException("cannot read bundled " + relativePath + ": " + e.getMessage(), e);
                }
            }

            @Override
            public String describe() {
                return "the manifests bundled in meshctl";
            }
        };
    }

    static ManifestTree folder(Path root) {
        if (!Files.isDirectory(root)) {
            throw new MeshctlException("--manifests " + root + " is not a directory");
        }
        return new ManifestTree() {
            @Override
            public java.util.Optional<String> read(String relativePath) {
                Path file = root.resolve(relativePath).normalize();
                if (!file.startsWith(root.normalize())) {
                    throw new MeshctlException(relativePath + " is outside " + root);
                }
                if (!Files.isRegularFile(file)) {
                    return java.util.Optional.empty();
                }
                try {
                    return java.util.Optional.of(Files.readString(file));
                } catch (IOException e) {
                    throw new MeshctlException(file + ": cannot read: " + e.getMessage(), e);
                }
            }

            @Override
            public String describe() {
                return root.toString();
            }
        };
    }
}
