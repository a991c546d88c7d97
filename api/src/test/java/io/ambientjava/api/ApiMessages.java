package io.ambientjava.api;

import com.google.protobuf.Message;
import io.ambientjava.api.ca.IstioCertificateRequest;
import io.ambientjava.api.ca.IstioCertificateResponse;
import io.ambientjava.api.ca.Roots;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Group;
import io.ambientjava.api.security.Match;
import io.ambientjava.api.security.Rules;
import io.ambientjava.api.security.ServiceAccountMatch;
import io.ambientjava.api.security.StringMatch;
import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.ApplicationTunnel;
import io.ambientjava.api.workload.Extension;
import io.ambientjava.api.workload.GatewayAddress;
import io.ambientjava.api.workload.LoadBalancing;
import io.ambientjava.api.workload.Locality;
import io.ambientjava.api.workload.NamespacedHostname;
import io.ambientjava.api.workload.NetworkAddress;
import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.PortList;
import io.ambientjava.api.workload.Service;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.api.zds.Ack;
import io.ambientjava.api.zds.AddWorkload;
import io.ambientjava.api.zds.DelWorkload;
import io.ambientjava.api.zds.KeepWorkload;
import io.ambientjava.api.zds.SnapshotSent;
import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.api.zds.WorkloadRequest;
import io.ambientjava.api.zds.WorkloadResponse;
import io.ambientjava.api.zds.ZdsHello;
import java.util.List;

/** Every message type this module generates, as default instances. */
final class ApiMessages {
    private ApiMessages() {}

    static List<Message> all() {
        return List.of(
                Address.getDefaultInstance(),
                Service.getDefaultInstance(),
                LoadBalancing.getDefaultInstance(),
                Workload.getDefaultInstance(),
                Locality.getDefaultInstance(),
                PortList.getDefaultInstance(),
                Port.getDefaultInstance(),
                ApplicationTunnel.getDefaultInstance(),
                GatewayAddress.getDefaultInstance(),
                NetworkAddress.getDefaultInstance(),
                NamespacedHostname.getDefaultInstance(),
                Extension.getDefaultInstance(),
                Authorization.getDefaultInstance(),
                Group.getDefaultInstance(),
                Rules.getDefaultInstance(),
                Match.getDefaultInstance(),
                io.ambientjava.api.security.Address.getDefaultInstance(),
                ServiceAccountMatch.getDefaultInstance(),
                StringMatch.getDefaultInstance(),
                ZdsHello.getDefaultInstance(),
                WorkloadInfo.getDefaultInstance(),
                AddWorkload.getDefaultInstance(),
                KeepWorkload.getDefaultInstance(),
                DelWorkload.getDefaultInstance(),
                SnapshotSent.getDefaultInstance(),
                Ack.getDefaultInstance(),
                WorkloadRequest.getDefaultInstance(),
                WorkloadResponse.getDefaultInstance(),
                IstioCertificateRequest.getDefaultInstance(),
                IstioCertificateResponse.getDefaultInstance(),
                Roots.getDefaultInstance());
    }
}
