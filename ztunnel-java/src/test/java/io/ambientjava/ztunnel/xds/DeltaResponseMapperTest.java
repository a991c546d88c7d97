package io.ambientjava.ztunnel.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.ambientjava.api.security.Action;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Scope;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import org.junit.jupiter.api.Test;

class DeltaResponseMapperTest {

    @Test
    void authorizationsAreUpsertedAndRemovedByNamespaceSlashName() {
        Authorization policy = Authorization.newBuilder()
                .setName("allow")
                .setNamespace("shop")
                .setScope(Scope.NAMESPACE)
                .setAction(Action.ALLOW)
                .build();
        HandledResponse handled = DeltaResponseMapper.map(DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(XdsTypeUrls.AUTHORIZATION)
                .addResources(Resource.newBuilder()
                        .setName("shop/allow")
                        .setVersion("7")
                        .setResource(Any.newBuilder()
                                .setTypeUrl(XdsTypeUrls.AUTHORIZATION)
                                .setValue(policy.toByteString())))
                .addRemovedResources("shop/old")
                .build());

        assertThat(handled.errorDetail()).isEmpty();
        assertThat(handled.update().policies()).hasSize(1);
        assertThat(handled.update().policies().getFirst().key()).isEqualTo("shop/allow");
        assertThat(handled.update().removedPolicies()).containsExactly("shop/old");
        assertThat(handled.update().removedAddresses()).isEmpty();
        assertThat(handled.accepted()).containsExactly(java.util.Map.entry("shop/allow", "7"));
    }

    @Test
    void undecodableBytesAreRejectedNamingTheResource() {
        HandledResponse handled = DeltaResponseMapper.map(DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(XdsTypeUrls.AUTHORIZATION)
                .addResources(Resource.newBuilder()
                        .setName("shop/garbage")
                        .setResource(Any.newBuilder()
                                .setTypeUrl(XdsTypeUrls.AUTHORIZATION)
                                .setValue(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 0x01}))))
                .build());
        assertThat(handled.errorDetail())
                .hasValueSatisfying(
                        e -> assertThat(e).contains("'shop/garbage'").contains("cannot decode"));
        assertThat(handled.update().isEmpty()).isTrue();
        assertThat(handled.accepted()).isEmpty();
    }

    @Test
    void aTypeNotSubscribedToIsRejectedWhole() {
        HandledResponse handled = DeltaResponseMapper.map(DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster")
                .addRemovedResources("x")
                .build());
        assertThat(handled.errorDetail())
                .hasValue("type_url 'type.googleapis.com/envoy.config.cluster.v3.Cluster' was not subscribed to");
        assertThat(handled.update().isEmpty()).isTrue();
    }
}
