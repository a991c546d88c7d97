package io.ambientjava.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.EnumDescriptor;
import io.ambientjava.api.security.Action;
import io.ambientjava.api.security.Scope;
import io.ambientjava.api.workload.AppProtocol;
import io.ambientjava.api.workload.ApplicationTunnel;
import io.ambientjava.api.workload.IPFamilies;
import io.ambientjava.api.workload.LoadBalancing;
import io.ambientjava.api.workload.NetworkMode;
import io.ambientjava.api.workload.TunnelProtocol;
import io.ambientjava.api.workload.WorkloadStatus;
import io.ambientjava.api.workload.WorkloadType;
import io.ambientjava.api.zds.Version;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Enum values travel as numbers; these tables are Istio's names and numbers, written out from upstream. */
class EnumNumbersTest {

    static Stream<Arguments> upstreamEnums() {
        return Stream.of(
                Arguments.of(TunnelProtocol.getDescriptor(), "NONE=0 HBONE=1 LEGACY_ISTIO_MTLS=2"),
                Arguments.of(WorkloadStatus.getDescriptor(), "HEALTHY=0 UNHEALTHY=1"),
                Arguments.of(WorkloadType.getDescriptor(), "DEPLOYMENT=0 CRONJOB=1 POD=2 JOB=3"),
                Arguments.of(NetworkMode.getDescriptor(), "STANDARD=0 HOST_NETWORK=1"),
                Arguments.of(IPFamilies.getDescriptor(), "AUTOMATIC=0 IPV4_ONLY=1 IPV6_ONLY=2 DUAL=3"),
                Arguments.of(AppProtocol.getDescriptor(), "UNKNOWN=0 HTTP11=1 HTTP2=2 GRPC=3"),
                Arguments.of(
                        LoadBalancing.Scope.getDescriptor(),
                        "UNSPECIFIED_SCOPE=0 REGION=1 ZONE=2 SUBZONE=3 NODE=4 CLUSTER=5 NETWORK=6"),
                Arguments.of(
                        LoadBalancing.Mode.getDescriptor(), "UNSPECIFIED_MODE=0 STRICT=1 FAILOVER=2 PASSTHROUGH=3"),
                Arguments.of(LoadBalancing.HealthPolicy.getDescriptor(), "ONLY_HEALTHY=0 ALLOW_ALL=1"),
                Arguments.of(LoadBalancing.DnsConnectStrategy.getDescriptor(), "DEFAULT=0 FIRST_HEALTHY_RACE=1"),
                Arguments.of(ApplicationTunnel.Protocol.getDescriptor(), "NONE=0 PROXY=1"),
                Arguments.of(Scope.getDescriptor(), "GLOBAL=0 NAMESPACE=1 WORKLOAD_SELECTOR=2"),
                Arguments.of(Action.getDescriptor(), "ALLOW=0 DENY=1"),
                Arguments.of(Version.getDescriptor(), "NOT_USED=0 V1=1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("upstreamEnums")
    void enumHasUpstreamNamesAndNumbers(EnumDescriptor type, String expected) {
        String actual = type.getValues().stream()
                .map(v -> v.getName() + "=" + v.getNumber())
                .collect(Collectors.joining(" "));
        assertThat(actual).as(type.getFullName()).isEqualTo(expected);
    }
}
