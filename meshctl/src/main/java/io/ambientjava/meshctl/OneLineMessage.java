package io.ambientjava.meshctl;

import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns any exception into one line a user can read: the message of the cause that says most. */
final class OneLineMessage {

    private OneLineMessage() {}

    static String of(Throwable e) {
        if (e instanceof MeshctlException) {
            return flatten(e.getMessage());
        }
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || isWrapper(t))) {
            t = t.getCause();
        }
        String text = switch (t) {
            case NoSuchFileException n -> n.getFile() + ": no such file";
            case AccessDeniedException a -> a.getFile() + ": permission denied";
            case HttpConnectTimeoutException h -> "connection timed out";
            case ConnectException c -> "connection refused" + (c.getMessage() == null ? "" : ": " + c.getMessage());
            default -> t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        };
        return flatten(text);
    }

    private static boolean isWrapper(Throwable t) {
        return t.getCause() != null
                && t.getMessage() != null
                && t.getMessage().equals(t.getCause().toString());
    }

    private static String flatten(String text) {
        return text == null ? "failed" : text.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
