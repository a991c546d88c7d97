package io.ambientjava.ztunnel.caclient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** ztunnel's credential for the CA: a token in a file (a projected ServiceAccount token in Kubernetes). */
final class BearerTokenFile {

    private BearerTokenFile() {}

    /**
     * The token, surrounding whitespace removed. Read on every call: Kubernetes rotates projected tokens in place.
     *
     * @throws CaRequestException naming the file when it is missing, unreadable or empty
     */
    static String read(Path file) {
        String token;
        try {
            token = Files.readString(file).strip();
        } catch (NoSuchFileException e) {
            throw new CaRequestException("token file " + file + " does not exist");
        } catch (IOException e) {
            throw new CaRequestException("cannot read token file " + file + ": " + e.getMessage(), e);
        }
        if (token.isEmpty()) {
            throw new CaRequestException("token file " + file + " is empty");
        }
        if (token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new CaRequestException(
                    "token file " + file + " holds more than one token (whitespace or non-ASCII inside)");
        }
        return token;
    }
}
