package io.ambientjava.istiod.config.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class InformerFailureTest {

    private static final WatchedKind GATEWAYS = WatchedKind.newest(ResourceKind.GATEWAY);

    @Test
    void aMissingCrdIsNamed() {
        var why = InformerFailure.of(
                GATEWAYS, new CompletionException(new KubernetesClientException("not found", 404, null)));
        assertThat(why.isAnswer()).isTrue();
        assertThat(why.reason())
                .isEqualTo("the API server does not serve /apis/gateway.networking.k8s.io/v1/gateways (is the CRD"
                        + " for Gateway.gateway.networking.k8s.io installed?); these resources are not read until it"
                        + " is");
    }

    @Test
    void aRefusalPointsAtRbac() {
        var why = InformerFailure.of(GATEWAYS, new KubernetesClientException("gateways is forbidden", 403, null));
        assertThat(why.isAnswer()).isTrue();
        assertThat(why.reason()).contains("HTTP 403").contains("RBAC").contains("gateways is forbidden");
    }

    @Test
    void otherwiseTheDeepestMessageIsShown() {
        var why = InformerFailure.of(
                GATEWAYS,
                new CompletionException(
                        new KubernetesClientException("operation failed", new IllegalStateException("bad bytes"))));
        assertThat(why.isAnswer()).isFalse();
        assertThat(why.reason()).endsWith(": bad bytes");
    }

    @Test
    void anUnreachableServerIsNotAnAnswer() {
        var why = InformerFailure.of(
                GATEWAYS,
                new CompletionException(
                        new KubernetesClientException("operation failed", new ConnectException("Connection refused"))));
        assertThat(why.isAnswer()).isFalse();
        assertThat(why.reason())
                .isEqualTo(
                        "cannot list and watch /apis/gateway.networking.k8s.io/v1/gateways: cannot connect to the API"
                                + " server (Connection refused)");
    }
}
