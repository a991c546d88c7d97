package io.ambientjava.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.ambientjava.api.ca.IstioCertificateServiceGrpc;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.api.zds.WorkloadRequest;
import io.ambientjava.api.zds.WorkloadResponse;
import io.ambientjava.api.zds.ZdsHello;
import io.grpc.MethodDescriptor.MethodType;
import org.junit.jupiter.api.Test;

/** The names that appear on the wire (xDS type URLs, gRPC paths) must be Istio's, whatever our Java packages are. */
class TypeNamesTest {

    @Test
    void workloadDiscoveryResourceIsIstioWorkloadAddress() {
        assertThat(Address.getDescriptor().getFullName()).isEqualTo("istio.workload.Address");
        assertThat(Any.pack(Address.getDefaultInstance()).getTypeUrl())
                .isEqualTo("type.googleapis.com/istio.workload.Address");
    }

    @Test
    void authorizationResourceIsIstioSecurityAuthorization() {
        assertThat(Authorization.getDescriptor().getFullName()).isEqualTo("istio.security.Authorization");
        assertThat(Any.pack(Authorization.getDefaultInstance()).getTypeUrl())
                .isEqualTo("type.googleapis.com/istio.security.Authorization");
    }

    @Test
    void zdsMessagesLiveInIstioWorkloadZds() {
        assertThat(ZdsHello.getDescriptor().getFullName()).isEqualTo("istio.workload.zds.ZdsHello");
        assertThat(WorkloadRequest.getDescriptor().getFullName()).isEqualTo("istio.workload.zds.WorkloadRequest");
        assertThat(WorkloadResponse.getDescriptor().getFullName()).isEqualTo("istio.workload.zds.WorkloadResponse");
    }

    @Test
    void certificateServiceUsesIstiosGrpcPath() {
        assertThat(IstioCertificateServiceGrpc.SERVICE_NAME).isEqualTo("istio.v1.auth.IstioCertificateService");
        var method = IstioCertificateServiceGrpc.getCreateCertificateMethod();
        assertThat(method.getFullMethodName()).isEqualTo("istio.v1.auth.IstioCertificateService/CreateCertificate");
        assertThat(method.getType()).isEqualTo(MethodType.UNARY);
    }

    @Test
    void workloadFieldFifteenStaysReserved() {
        assertThat(Workload.getDescriptor().findFieldByNumber(15)).isNull();
        assertThat(Workload.getDescriptor().toProto().getReservedRangeList()).anySatisfy(range -> {
            assertThat(range.getStart()).isEqualTo(15);
            assertThat(range.getEnd()).isEqualTo(16); // exclusive
        });
    }
}
