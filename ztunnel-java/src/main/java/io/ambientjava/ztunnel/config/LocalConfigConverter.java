package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.ApplicationTunnel;
import io.ambientjava.ztunnel.state.GatewayAddress;
import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.LoadBalancing;
import io.ambientjava.ztunnel.state.Locality;
import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.NetworkMode;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateUpdate;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Clause;
import io.ambientjava.ztunnel.state.policy.Match;
import io.ambientjava.ztunnel.state.policy.Rule;
import io.ambientjava.ztunnel.state.policy.ServiceAccountMatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Gives a parsed local config its meaning: required fields, Istio's defaults, no duplicate workload uid, service
 * key, VIP or policy key, and conversion into domain records. The result replaces the whole state.
 */
final class LocalConfigConverter {

    private final String source;
    private final YamlLocator locator;

    private LocalConfigConverter(String source, YamlLocator locator) {
        this.source = source;
        this.locator = locator;
    }

    static StateUpdate convert(String source, YamlLocator locator, LocalConfig config) throws LocalConfigException {
        return new LocalConfigConverter(source, locator).convert(config);
    }

    private StateUpdate convert(LocalConfig config) throws LocalConfigException {
        List<Workload> workloads = new ArrayList<>();
        Map<String, FieldPath> uids = new HashMap<>();
        for (int i = 0; i < config.workloads().size(); i++) {
            FieldPath path = FieldPath.root().field("workloads").index(i);
            Workload workload = workload(config.workloads().get(i), path);
            unique(uids, workload.uid(), path.field("uid"), "uid");
            workloads.add(workload);
        }

        List<Service> services = new ArrayList<>();
        Map<String, FieldPath> serviceKeys = new HashMap<>();
        Map<String, FieldPath> vips = new HashMap<>();
        for (int i = 0; i < config.services().size(); i++) {
            FieldPath path = FieldPath.root().field("services").index(i);
            Service service = service(config.services().get(i), path);
            unique(serviceKeys, service.key().toString(), path.field("hostname"), "namespace/hostname");
            for (int v = 0; v < service.vips().size(); v++) {
                unique(
                        vips,
                        service.vips().get(v).toString(),
                        path.field("vips").index(v),
                        "VIP");
            }
            services.add(service);
        }

        List<Authorization> policies = new ArrayList<>();
        Map<String, FieldPath> policyKeys = new HashMap<>();
        for (int i = 0; i < config.policies().size(); i++) {
            FieldPath path = FieldPath.root().field("policies").index(i);
            Authorization policy = policy(config.policies().get(i), path);
            unique(policyKeys, policy.key(), path.field("name"), "namespace/name");
            policies.add(policy);
        }
        return StateUpdate.replaceAll(workloads, services, policies);
    }

    private void unique(Map<String, FieldPath> seen, String key, FieldPath path, String what)
            throws LocalConfigException {
        FieldPath first = seen.putIfAbsent(key, path);
        if (first != null) {
            String where =
                    locator.locate(first).map(l -> "line " + l.getLineNr()).orElse(first.toString());
            throw error(path, "duplicate " + what + " '" + key + "' (first at " + where + ")");
        }
    }

    private LocalConfigException error(FieldPath path, String problem) {
        var location = locator.locate(path);
        return new LocalConfigException(
                source,
                location.map(l -> l.getLineNr()).orElse(0),
                location.map(l -> l.getColumnNr()).orElse(0),
                path.toString(),
                problem);
    }

    private static String text(String value, String fallback) {
        return value == null || value.isEmpty() ? fallback : value;
    }

    private void required(String value, FieldPath path) throws LocalConfigException {
        if (value == null || value.isBlank()) {
            throw error(path, "is required");
        }
    }

    private Workload workload(LocalWorkload w, FieldPath path) throws LocalConfigException {
        required(w.uid(), path.field("uid"));
        required(w.namespace(), path.field("namespace"));
        try {
            Workload.Builder builder = Workload.builder(w.uid(), w.namespace())
                    .name(text(w.name(), ""))
                    .serviceAccount(text(w.serviceAccount(), Workload.DEFAULT_SERVICE_ACCOUNT))
                    .trustDomain(text(w.trustDomain(), Workload.DEFAULT_TRUST_DOMAIN))
                    .clusterId(text(w.clusterId(), Workload.DEFAULT_CLUSTER_ID))
                    .node(text(w.node(), ""))
                    .network(text(w.network(), ""))
                    .addresses(w.workloadIps() == null ? List.of() : w.workloadIps())
                    .hostname(text(w.hostname(), ""))
                    .protocol(Objects.requireNonNullElse(w.protocol(), Protocol.TCP))
                    .networkMode(Objects.requireNonNullElse(w.networkMode(), NetworkMode.STANDARD))
                    .canonicalName(text(w.canonicalName(), ""))
                    .canonicalRevision(text(w.canonicalRevision(), ""))
                    .workloadName(text(w.workloadName(), ""))
                    .workloadType(text(w.workloadType(), ""))
                    .services(w.services() == null ? Map.<NamespacedHostname, PortMap>of() : w.services())
                    .authorizationPolicies(w.authorizationPolicies() == null ? List.of() : w.authorizationPolicies())
                    .status(Objects.requireNonNullElse(w.status(), HealthStatus.HEALTHY))
                    .capacity(Objects.requireNonNullElse(w.capacity(), 1))
                    .nativeTunnel(Boolean.TRUE.equals(w.nativeTunnel()))
                    .waypoint(gateway(w.waypoint(), path.field("waypoint")))
                    .networkGateway(gateway(w.networkGateway(), path.field("networkGateway")));
            if (w.locality() != null) {
                builder.locality(new Locality(
                        text(w.locality().region(), ""),
                        text(w.locality().zone(), ""),
                        text(w.locality().subzone(), "")));
            }
            if (w.applicationTunnel() != null) {
                builder.applicationTunnel(new ApplicationTunnel(
                        Objects.requireNonNullElse(w.applicationTunnel().protocol(), ApplicationTunnel.Kind.NONE),
                        Objects.requireNonNullElse(w.applicationTunnel().port(), 0)));
            }
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw error(path, e.getMessage());
        }
    }

    private GatewayAddress gateway(LocalGatewayAddress gateway, FieldPath path) throws LocalConfigException {
        if (gateway == null) {
            return null;
        }
        if (gateway.destination() == null) {
            throw error(path.field("destination"), "is required");
        }
        int port = Objects.requireNonNullElse(gateway.hboneMtlsPort(), GatewayAddress.DEFAULT_HBONE_PORT);
        try {
            return new GatewayAddress(gateway.destination(), port);
        } catch (IllegalArgumentException e) {
            throw error(path.field("hboneMtlsPort"), e.getMessage());
        }
    }

    private Service service(LocalService s, FieldPath path) throws LocalConfigException {
        required(s.namespace(), path.field("namespace"));
        required(s.hostname(), path.field("hostname"));
        try {
            Service.Builder builder = Service.builder(s.namespace(), s.hostname())
                    .name(text(s.name(), ""))
                    .vips(s.vips() == null ? List.<NetworkAddress>of() : s.vips())
                    .ports(Objects.requireNonNullElse(s.ports(), PortMap.empty()))
                    .subjectAltNames(s.subjectAltNames() == null ? List.of() : s.subjectAltNames())
                    .canonical(Boolean.TRUE.equals(s.canonical()))
                    .waypoint(gateway(s.waypoint(), path.field("waypoint")));
            if (s.loadBalancer() != null) {
                LocalLoadBalancer lb = s.loadBalancer();
                builder.loadBalancing(new LoadBalancing(
                        lb.routingPreferences() == null ? List.of() : lb.routingPreferences(),
                        Objects.requireNonNullElse(lb.mode(), LoadBalancing.Mode.STANDARD),
                        Objects.requireNonNullElse(lb.healthPolicy(), LoadBalancing.HealthPolicy.ONLY_HEALTHY)));
            }
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw error(path, e.getMessage());
        }
    }

    private Authorization policy(LocalPolicy p, FieldPath path) throws LocalConfigException {
        required(p.name(), path.field("name"));
        required(p.namespace(), path.field("namespace"));
        if (p.scope() == null) {
            throw error(path.field("scope"), "is required (Global, Namespace or WorkloadSelector)");
        }
        if (p.action() == null) {
            throw error(path.field("action"), "is required (Allow or Deny)");
        }
        List<Rule> rules = new ArrayList<>();
        List<List<List<LocalMatch>>> localRules = p.rules() == null ? List.of() : p.rules();
        for (int r = 0; r < localRules.size(); r++) {
            List<Clause> clauses = new ArrayList<>();
            for (int c = 0; c < localRules.get(r).size(); c++) {
                List<LocalMatch> localClause = localRules.get(r).get(c);
                List<Match> matches = new ArrayList<>();
                for (int m = 0; m < localClause.size(); m++) {
                    try {
                        matches.add(match(localClause.get(m)));
                    } catch (IllegalArgumentException e) {
                        throw error(path.field("rules").index(r).index(c).index(m), e.getMessage());
                    }
                }
                clauses.add(new Clause(matches));
            }
            rules.add(new Rule(clauses));
        }
        try {
            return new Authorization(
                    p.name(), p.namespace(), p.scope(), p.action(), rules, Boolean.TRUE.equals(p.dryRun()));
        } catch (IllegalArgumentException e) {
            throw error(path, e.getMessage());
        }
    }

    private static Match match(LocalMatch m) {
        return new Match(
                orEmpty(m.namespaces()),
                orEmpty(m.notNamespaces()),
                serviceAccounts(m.serviceAccounts()),
                serviceAccounts(m.notServiceAccounts()),
                orEmpty(m.principals()),
                orEmpty(m.notPrincipals()),
                orEmpty(m.sourceIps()),
                orEmpty(m.notSourceIps()),
                orEmpty(m.destinationIps()),
                orEmpty(m.notDestinationIps()),
                orEmpty(m.destinationPorts()),
                orEmpty(m.notDestinationPorts()));
    }

    private static List<ServiceAccountMatch> serviceAccounts(List<LocalServiceAccountMatch> list) {
        return orEmpty(list).stream()
                .map(sa -> new ServiceAccountMatch(text(sa.namespace(), ""), text(sa.serviceAccount(), "")))
                .toList();
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
