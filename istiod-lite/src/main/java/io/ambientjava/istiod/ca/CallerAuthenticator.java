package io.ambientjava.istiod.ca;

/**
 * Turns a bearer token into the caller it belongs to. The local mesh uses {@link TokenFileAuthenticator}; in a
 * cluster a Kubernetes TokenReview of the projected service account token (audience {@code istio-ca}) fits here.
 */
@FunctionalInterface
public interface CallerAuthenticator {

    Caller authenticate(String bearerToken) throws CallerAuthenticationException;
}
