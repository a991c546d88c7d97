package io.ambientjava.ztunnel.controlplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** ztunnel's credential for istiod: a token in a file (a projected ServiceAccount token in Kubernetes). */
public final class BearerTokenFile {

    private BearerTokenFile() {}

    /**
     * The token, surrounding whitespace removed. Read on every call: Kubernetes rotates projected tokens in place.
     *
     * @throws ControlPlaneException naming the file when it is missing, unreadable or empty
     */
    public static String read(Path file) {
        String token;
        try {
            token = Files.readString(file).strip();
        } catch (NoSuchFileException e) {
            throw new ControlPlaneException("token file " + file + " does not exist");
        } catch (IOException e) {
            throw new ControlPlaneException("cannot read token file " + file + ": " + e.getMessage(), e);
        }
        if (token.isEmpty()) {
            throw new ControlPlaneException("token file " + file + " is empty");
        }
        if (token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new ControlPlaneException(
                    "token file " + file + " holds more than one token (whitespace or non-ASCII inside)");
        }
        return token;
    }
}
