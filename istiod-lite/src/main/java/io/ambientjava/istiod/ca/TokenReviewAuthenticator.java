package io.ambientjava.istiod.ca;

import io.ambientjava.identity.SpiffeId;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Callers in a cluster: the bearer token is a projected ServiceAccount token (audience {@code istio-ca}), checked by
 * the API server with a TokenReview, as istiod does. The caller is the token's service account; its node is the
 * {@code authentication.kubernetes.io/node-name} the API server adds for pod-bound tokens (Kubernetes 1.30+),
 * which is what lets a ztunnel ask for the identities of pods on its own node.
 */
public final class TokenReviewAuthenticator implements CallerAuthenticator {

    public static final String DEFAULT_AUDIENCE = "istio-ca";
    static final String NODE_NAME = "authentication.kubernetes.io/node-name";
    private static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

    private final KubernetesClient client;
    private final String trustDomain;
    private final String audience;

    public TokenReviewAuthenticator(KubernetesClient client, String trustDomain, String audience) {
        this.client = Objects.requireNonNull(client, "client");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        this.audience = Objects.requireNonNull(audience, "audience");
    }

    @Override
    public Caller authenticate(String bearerToken) throws CallerAuthenticationException {
        if (bearerToken == null || bearerToken.isBlank()) {
            throw new CallerAuthenticationException("no bearer token");
        }
        TokenReview review = new TokenReviewBuilder()
                .withNewSpec()
                .withToken(bearerToken)
                .withAudiences(audience)
                .endSpec()
                .build();
        TokenReviewStatus status;
        try {
            status = client.authentication().v1().tokenReviews().create(review).getStatus();
        } catch (KubernetesClientException e) {
            throw new CallerAuthenticationException("TokenReview failed: " + e.getMessage());
        }
        if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
            String why = status == null || status.getError() == null ? "not authenticated" : status.getError();
            throw new CallerAuthenticationException("the API server refused the token: " + why);
        }
        List<String> audiences = status.getAudiences();
        if (audiences != null && !audiences.isEmpty() && !audiences.contains(audience)) {
            throw new CallerAuthenticationException(
                    "the token is for " + audiences + ", not for audience '" + audience + "'");
        }
        String username = status.getUser() == null ? null : status.getUser().getUsername();
        if (username == null || !username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
            throw new CallerAuthenticationException(
                    "the token belongs to '" + username + "', not to a service account");
        }
        String[] parts = username.substring(SERVICE_ACCOUNT_PREFIX.length()).split(":", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new CallerAuthenticationException("malformed service account user name '" + username + "'");
        }
        SpiffeId identity;
        try {
            identity = new SpiffeId(trustDomain, parts[0], parts[1]);
        } catch (IllegalArgumentException e) {
            throw new CallerAuthenticationException(
                    "service account " + parts[0] + "/" + parts[1] + " makes no valid SPIFFE ID: " + e.getMessage());
        }
        Map<String, List<String>> extra = status.getUser().getExtra();
        Optional<String> node = Optional.ofNullable(extra == null ? null : extra.get(NODE_NAME))
                .filter(values -> values.size() == 1 && !values.getFirst().isBlank())
                .map(List::getFirst);
        return new Caller(identity, node);
    }
}
