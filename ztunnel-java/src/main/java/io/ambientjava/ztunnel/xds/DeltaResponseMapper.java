package io.ambientjava.ztunnel.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.workload.Address;
import io.ambientjava.ztunnel.state.InvalidResourceException;
import io.ambientjava.ztunnel.state.StateUpdate;
import io.ambientjava.ztunnel.state.proto.AddressMapper;
import io.ambientjava.ztunnel.state.proto.AuthorizationMapper;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a {@code DeltaDiscoveryResponse} into one {@link StateUpdate}: removed names become removals, resources are
 * unpacked and mapped to the domain.
 *
 * <p>Like upstream ztunnel (its {@code handle_single_resource}), a resource that cannot be decoded or mapped is
 * rejected on its own: the rest of the response is still applied, the rejected resource keeps whatever state it had
 * before, and the response is NACKed with one message per rejected resource. Rejecting the whole response instead
 * would let one bad workload hold back every other change, including removals.
 */
public final class DeltaResponseMapper {

    private DeltaResponseMapper() {}

    /** Maps a response of either workload type; an unknown type URL rejects everything it carries. */
    public static HandledResponse map(DeltaDiscoveryResponse response) {
        String typeUrl = response.getTypeUrl();
        StateUpdate.Builder update = StateUpdate.builder();
        Map<String, String> accepted = new LinkedHashMap<>();
        Set<String> removed = new LinkedHashSet<>(response.getRemovedResourcesList());
        List<String> rejections = new ArrayList<>();
        boolean address = typeUrl.equals(XdsTypeUrls.ADDRESS);
        if (!address && !typeUrl.equals(XdsTypeUrls.AUTHORIZATION)) {
            rejections.add("type_url '" + typeUrl + "' was not subscribed to");
            return new HandledResponse(typeUrl, StateUpdate.builder().build(), Map.of(), Set.of(), rejections);
        }
        for (String name : removed) {
            if (address) {
                update.removeAddress(name);
            } else {
                update.removePolicy(name);
            }
        }
        for (Resource resource : response.getResourcesList()) {
            String name = resource.getName();
            try {
                if (address) {
                    update.upsert(AddressMapper.toDomain(name, unpack(resource, typeUrl, Address.parser())));
                } else {
                    update.upsert(AuthorizationMapper.toDomain(unpack(resource, typeUrl, Authorization.parser())));
                }
                accepted.put(name, resource.getVersion());
            } catch (InvalidResourceException e) {
                rejections.add(e.getMessage()); // names the resource and the field
            }
        }
        return new HandledResponse(typeUrl, update.build(), accepted, removed, rejections);
    }

    private static <T> T unpack(Resource resource, String typeUrl, com.google.protobuf.Parser<T> parser) {
        String what = "resource '" + resource.getName() + "'";
        if (!resource.hasResource()) {
            throw new InvalidResourceException(what, "resource", "no body (only a name was sent)");
        }
        Any body = resource.getResource();
        if (!body.getTypeUrl().equals(typeUrl)) {
            throw new InvalidResourceException(
                    what, "resource.type_url", "'" + body.getTypeUrl() + "' in a response of " + typeUrl);
        }
        try {
            return parser.parseFrom(body.getValue());
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidResourceException(what, "resource.value", "cannot decode: " + e.getMessage());
        }
    }
}
