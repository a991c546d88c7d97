package io.ambientjava.istiod.config.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.Optional;

/**
 * Why an informer could not list or watch its kind, said for a person: a kind the server does not serve (its CRD
 * is missing), a kind istiod-lite may not read (RBAC), or anything else (the server is unreachable, …).
 */
record InformerFailure(WatchedKind watched, int httpCode, String detail) {

    static InformerFailure of(WatchedKind watched, Throwable failure) {
        Optional<KubernetesClientException> apiError = apiError(failure);
        return new InformerFailure(
                watched,
                apiError.map(KubernetesClientException::getCode).orElse(0),
                apiError.map(Throwable::getMessage).orElseGet(() -> rootMessage(failure)));
    }

    /**
     * The server answered, if not as hoped (not served, not allowed): the kind need not hold up the first snapshot,
     * unlike a server that does not answer at all.
     */
    boolean isAnswer() {
        return httpCode == 404 || httpCode == 401 || httpCode == 403;
    }

    String reason() {
        if (httpCode == 404) {
            return "the API server does not serve " + watched.listPath() + " (is the CRD for "
                    + watched.kind().qualifiedName() + " installed?); these resources are not read until it is";
        }
        if (httpCode == 401 || httpCode == 403) {
            return "not allowed to list and watch " + watched.listPath() + " (HTTP " + httpCode
                    + "; check istiod-lite's RBAC): " + detail;
        }
        return "cannot list and watch " + watched.listPath() + ": " + detail;
    }

    private static Optional<KubernetesClientException> apiError(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException e && e.getCode() > 0) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /**
     * The most telling words in a chain of wrappers: a refused or failed connection says so (the JDK's own
     * exceptions there often carry no message, or one about a closed channel); otherwise the deepest message.
     */
    private static String rootMessage(Throwable failure) {
        String deepest = null;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException || t instanceof ClosedChannelException) {
                return "cannot connect to the API server" + (t.getMessage() == null ? "" : " (" + t.getMessage() + ")");
            }
            if (t instanceof HttpTimeoutException || t instanceof SocketTimeoutException) {
                return "the API server did not answer in time";
            }
            if (t.getMessage() != null) {
                deepest = t.getMessage();
            }
        }
        return deepest != null ? deepest : failure.toString();
    }
}
