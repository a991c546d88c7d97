package io.ambientjava.istiod.translate;

import static io.ambientjava.istiod.testsupport.Configs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A Sidecar is read but not applied, nor a ServiceEntry with {@code resolution: NONE}: each is reported, none
 * silently dropped; a DNS ServiceEntry is applied and not reported.
 */
class UnappliedKindsTest {

    private static final String KINDS = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: payments-api, namespace: shop}
            spec:
              hosts: [payments.example.com]
              ports: [{number: 443, name: https, protocol: TLS}]
              resolution: NONE
              location: MESH_EXTERNAL
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api-external, namespace: shop}
            spec:
              hosts: [api.external.test]
              ports: [{number: 443, name: https, protocol: TLS}]
              resolution: DNS
              location: MESH_EXTERNAL
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: legacy-vm, namespace: shop}
            spec: {address: 198.18.9.9, labels: {app: legacy}}
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: shop}
            spec: {egress: [{hosts: ["./*"]}]}
            """;

    @Test
    void eachResourceOfAKindThatIsNotAppliedIsReportedWithWhatThatMeans() {
        var translation = new AmbientTranslator(MeshSettings.defaults()).translate(snapshot(KINDS));
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .containsExactly(
                        "Sidecar shop/default: Sidecar has no effect in ambient mode: it configures sidecar proxies,"
                                + " and this mesh runs none");
    }

    @Test
    void aMeshWithoutThemHasNoSuchWarnings() {
        var translation = new AmbientTranslator(MeshSettings.defaults()).translate(snapshot("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                """));
        assertThat(translation.warnings()).isEmpty();
    }
}
