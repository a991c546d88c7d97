package io.ambientjava.ztunnel.state.proto;

import io.ambientjava.api.workload.Address;
import io.ambientjava.ztunnel.state.AddressResource;
import io.ambientjava.ztunnel.state.InvalidResourceException;

/** {@code istio.workload.Address} (a workload or a service) to its domain record. */
public final class AddressMapper {

    private AddressMapper() {}

    /**
     * Maps and validates an address resource.
     *
     * @param resourceName the xDS resource name, used in errors
     * @throws InvalidResourceException naming the resource and the offending field
     */
    public static AddressResource toDomain(String resourceName, Address proto) {
        return switch (proto.getTypeCase()) {
            case WORKLOAD -> WorkloadMapper.toDomain(proto.getWorkload());
            case SERVICE -> ServiceMapper.toDomain(proto.getService());
            case TYPE_NOT_SET ->
                throw new InvalidResourceException(
                        "address \"" + resourceName + "\"", "type", "neither workload nor service is set");
        };
    }
}
