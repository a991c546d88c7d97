package io.ambientjava.istiod.deploy;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddressBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The status istiod-lite writes on a waypoint Gateway, as Istio's gateway controller does: {@code addresses} (the
 * Service's cluster IPs, then its {@code Hostname}) and the conditions {@code Accepted} and {@code Programmed}.
 * Conditions of other types, listener status and unknown fields are kept as found. A condition whose status,
 * reason, message and observedGeneration are unchanged is kept as it is, lastTransitionTime included; a new
 * lastTransitionTime is set only when its status flips.
 */
final class WaypointStatus {

    static final String ACCEPTED = "Accepted";
    static final String PROGRAMMED = "Programmed";

    /** One condition istiod-lite owns. */
    record Verdict(String type, boolean status, String reason, String message) {
        Verdict {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    private WaypointStatus() {}

    /**
     * Accepted unless a listener is not what a waypoint listens with (HBONE on 15008), or there is none. Light
     * validation: the waypoint is deployed either way, as Istio deploys it.
     */
    static Verdict accepted(Gateway gateway) {
        List<Listener> listeners =
                gateway.getSpec() == null ? null : gateway.getSpec().getListeners();
        if (listeners == null || listeners.isEmpty()) {
            return new Verdict(
                    ACCEPTED,
                    false,
                    "InvalidParameters",
                    "a waypoint needs a listener with protocol HBONE on port " + WaypointTemplate.HBONE_PORT
                            + " (as istioctl and meshctl waypoint generate write it)");
        }
        List<String> wrong = new ArrayList<>();
        for (Listener listener : listeners) {
            if (!"HBONE".equals(listener.getProtocol())
                    || !Objects.equals(listener.getPort(), WaypointTemplate.HBONE_PORT)) {
                wrong.add("listener '" + listener.getName() + "' is " + listener.getProtocol() + " on port "
                        + listener.getPort());
            }
        }
        if (!wrong.isEmpty()) {
            return new Verdict(
                    ACCEPTED,
                    false,
                    "InvalidParameters",
                    String.join("; ", wrong) + ": a waypoint listens with HBONE on port " + WaypointTemplate.HBONE_PORT
                            + " only");
        }
        return new Verdict(ACCEPTED, true, "Accepted", "Resource accepted");
    }

    /** The addresses of a Service istiod-lite owns: its cluster IPs, then its host name; none without a cluster IP. */
    static List<GatewayStatusAddress> addresses(io.fabric8.kubernetes.api.model.Service service, String domainSuffix) {
        List<String> ips = clusterIps(service);
        if (ips.isEmpty()) {
            return List.of();
        }
        List<GatewayStatusAddress> addresses = new ArrayList<>();
        for (String ip : ips) {
            addresses.add(new GatewayStatusAddressBuilder()
                    .withType("IPAddress")
                    .withValue(ip)
                    .build());
        }
        addresses.add(new GatewayStatusAddressBuilder()
                .withType("Hostname")
                .withValue(hostname(service, domainSuffix))
                .build());
        return addresses;
    }

    static String hostname(io.fabric8.kubernetes.api.model.Service service, String domainSuffix) {
        return service.getMetadata().getName() + "." + service.getMetadata().getNamespace() + ".svc." + domainSuffix;
    }

    /** {@code spec.clusterIPs}, else {@code spec.clusterIP}; "None" (headless) and empty are no address. */
    static List<String> clusterIps(io.fabric8.kubernetes.api.model.Service service) {
        if (service == null || service.getSpec() == null) {
            return List.of();
        }
        List<String> ips = new ArrayList<>();
        List<String> all = service.getSpec().getClusterIPs();
        if (all != null && !all.isEmpty()) {
            ips.addAll(all);
        } else if (service.getSpec().getClusterIP() != null) {
            ips.add(service.getSpec().getClusterIP());
        }
        ips.removeIf(ip -> ip == null || ip.isBlank() || ip.equals("None"));
        return ips;
    }

    /**
     * The status to write: {@code current} with our addresses and conditions. Our conditions come first, in the
     * order given; the others follow as found.
     */
    static GatewayStatus next(
            GatewayStatus current,
            long generation,
            List<Verdict> verdicts,
            List<GatewayStatusAddress> addresses,
            Instant now) {
        GatewayStatus next = new GatewayStatus();
        List<Condition> existing =
                current == null || current.getConditions() == null ? List.of() : current.getConditions();
        if (current != null) {
            next.setListeners(current.getListeners());
            next.setAdditionalProperties(current.getAdditionalProperties());
        }
        next.setAddresses(List.copyOf(addresses));
        List<Condition> conditions = new ArrayList<>();
        for (Verdict verdict : verdicts) {
            conditions.add(condition(find(existing, verdict.type()), verdict, generation, now));
        }
        for (Condition other : existing) {
            if (verdicts.stream().noneMatch(v -> v.type().equals(other.getType()))) {
                conditions.add(other);
            }
        }
        next.setConditions(conditions);
        return next;
    }

    private static Condition condition(Optional<Condition> before, Verdict verdict, long generation, Instant now) {
        String status = verdict.status() ? "True" : "False";
        if (before.isPresent()
                && status.equals(before.get().getStatus())
                && verdict.reason().equals(before.get().getReason())
                && verdict.message().equals(before.get().getMessage())
                && Objects.equals(before.get().getObservedGeneration(), generation)) {
            return before.get();
        }
        String transition = before.isPresent()
                        && status.equals(before.get().getStatus())
                        && before.get().getLastTransitionTime() != null
                ? before.get().getLastTransitionTime()
                : now.truncatedTo(ChronoUnit.SECONDS).toString();
        return new ConditionBuilder()
                .withType(verdict.type())
                .withStatus(status)
                .withReason(verdict.reason())
                .withMessage(verdict.message())
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition)
                .build();
    }

    private static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** Whether writing {@code next} would change what {@code current} says: addresses or our conditions. */
    static boolean differs(GatewayStatus current, GatewayStatus next, List<Verdict> verdicts) {
        List<GatewayStatusAddress> before =
                current == null || current.getAddresses() == null ? List.of() : current.getAddresses();
        if (!addressText(before).equals(addressText(next.getAddresses()))) {
            return true;
        }
        List<Condition> existing =
                current == null || current.getConditions() == null ? List.of() : current.getConditions();
        for (Verdict verdict : verdicts) {
            Condition wanted = find(next.getConditions(), verdict.type()).orElseThrow();
            Optional<Condition> found = find(existing, verdict.type());
            if (found.isEmpty() || !sameCondition(found.get(), wanted)) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameCondition(Condition a, Condition b) {
        return Objects.equals(a.getStatus(), b.getStatus())
                && Objects.equals(a.getReason(), b.getReason())
                && Objects.equals(a.getMessage(), b.getMessage())
                && Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
                && Objects.equals(a.getLastTransitionTime(), b.getLastTransitionTime());
    }

    private static List<String> addressText(List<GatewayStatusAddress> addresses) {
        return addresses.stream().map(a -> a.getType() + "=" + a.getValue()).toList();
    }
}
