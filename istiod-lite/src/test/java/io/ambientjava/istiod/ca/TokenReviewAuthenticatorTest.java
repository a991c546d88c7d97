package io.ambientjava.istiod.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient
class TokenReviewAuthenticatorTest {

    private static final String PATH = "/apis/authentication.k8s.io/v1/tokenreviews";

    KubernetesMockServer server;
    KubernetesClient client;

    private TokenReviewAuthenticator authenticator() {
        return new TokenReviewAuthenticator(client, "cluster.local", TokenReviewAuthenticator.DEFAULT_AUDIENCE);
    }

    private void answer(TokenReview review) {
        server.expect().post().withPath(PATH).andReturn(201, review).once();
    }

    private static TokenReview authenticated(String username, Map<String, List<String>> extra, List<String> audiences) {
        return new TokenReviewBuilder()
                .withNewStatus()
                .withAuthenticated(true)
                .withAudiences(audiences)
                .withNewUser()
                .withUsername(username)
                .withExtra(extra)
                .endUser()
                .endStatus()
                .build();
    }

    @Test
    void aPodBoundServiceAccountTokenIsTheServiceAccountOnItsNode() throws Exception {
        answer(authenticated(
                "system:serviceaccount:istio-system:ztunnel",
                Map.of(TokenReviewAuthenticator.NODE_NAME, List.of("node-a")),
                List.of("istio-ca")));

        Caller caller = authenticator().authenticate("token-1");

        assertThat(caller.identity().toString()).isEqualTo("spiffe://cluster.local/ns/istio-system/sa/ztunnel");
        assertThat(caller.node()).hasValue("node-a");
        TokenReview sent = server.getLastRequest()
                .getBody()
                .readUtf8()
                .transform(body -> client.getKubernetesSerialization().unmarshal(body, TokenReview.class));
        assertThat(sent.getSpec().getToken()).isEqualTo("token-1");
        assertThat(sent.getSpec().getAudiences()).containsExactly("istio-ca");
    }

    @Test
    void aTokenWithoutNodeIsACallerWithoutNode() throws Exception {
        answer(authenticated("system:serviceaccount:shop:web", Map.of(), List.of("istio-ca")));

        assertThat(authenticator().authenticate("t").node()).isEmpty();
    }

    @Test
    void aRefusedTokenNamesTheApiServersReason() {
        answer(new TokenReviewBuilder()
                .withNewStatus()
                .withAuthenticated(false)
                .withError("token has expired")
                .endStatus()
                .build());

        assertThatThrownBy(() -> authenticator().authenticate("old"))
                .isInstanceOf(CallerAuthenticationException.class)
                .hasMessageContaining("token has expired");
    }

    @Test
    void aTokenForAnotherAudienceOrNotOfAServiceAccountIsRefused() {
        answer(authenticated("system:serviceaccount:shop:web", Map.of(), List.of("kubernetes")));
        assertThatThrownBy(() -> authenticator().authenticate("t"))
                .isInstanceOf(CallerAuthenticationException.class)
                .hasMessageContaining("audience 'istio-ca'");

        answer(authenticated("alice@example", Map.of(), List.of("istio-ca")));
        assertThatThrownBy(() -> authenticator().authenticate("t"))
                .isInstanceOf(CallerAuthenticationException.class)
                .hasMessageContaining("not to a service account");
    }

    @Test
    void noTokenAndAnUnreachableApiServerAreClearErrors() {
        assertThatThrownBy(() -> authenticator().authenticate(" "))
                .isInstanceOf(CallerAuthenticationException.class)
                .hasMessageContaining("no bearer token");

        server.expect().post().withPath(PATH).andReturn(500, "boom").once();
        assertThatThrownBy(() -> authenticator().authenticate("t"))
                .isInstanceOf(CallerAuthenticationException.class)
                .hasMessageContaining("TokenReview failed");
    }
}
