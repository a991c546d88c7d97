package io.ambientjava.ztunnel.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.state.GatewayAddress;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Cidr;
import io.ambientjava.ztunnel.state.policy.Clause;
import io.ambientjava.ztunnel.state.policy.Match;
import io.ambientjava.ztunnel.state.policy.Rule;
import io.ambientjava.ztunnel.state.policy.ServiceAccountMatch;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import io.ambientjava.ztunnel.status.ActiveConnection;
import io.ambientjava.ztunnel.status.BuildInfo;
import io.ambientjava.ztunnel.status.CertificateStatus;
import io.ambientjava.ztunnel.status.PodStatus;
import io.ambientjava.ztunnel.status.Readiness;
import io.ambientjava.ztunnel.status.ZtunnelStatus;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The JSON of {@code /config_dump}: build, config, readiness, the state store (workloads, services with their
 * endpoints, policies), certificates (identity, state, serial, validity and subjects of the chain; never keys, not
 * even the PEM), pods and open connections. Field names are camelCase like upstream ztunnel's workload dump.
 */
public final class ConfigDump {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ZtunnelStatus status;
    private final BuildInfo build;
    private final Map<String, ?> config;

    /**
     * @param config the process's settings (ports, files, timeouts) for the {@code config} section; values must be
     *     strings, numbers, booleans, lists or maps of those
     */
    public ConfigDump(ZtunnelStatus status, BuildInfo build, Map<String, ?> config) {
        this.status = Objects.requireNonNull(status, "status");
        this.build = Objects.requireNonNull(build, "build");
        this.config = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(config));
    }

    /** The whole dump, pretty-printed. */
    public String render() {
        return write(tree());
    }

    /** Only the {@code certificates} section (for {@code /certs}). */
    public String renderCertificates() {
        ObjectNode root = JSON.createObjectNode();
        root.set("certificates", certificates(status.certificates()));
        return write(root);
    }

    ObjectNode tree() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode version = root.putObject("version");
        version.put("component", build.component());
        version.put("version", build.version());
        ObjectNode configNode = root.putObject("config");
        configNode.put("node", status.nodeName());
        configNode.put("trustDomain", status.trustDomain());
        configNode.setAll((ObjectNode) JSON.valueToTree(config));
        Readiness readiness = status.readiness();
        ObjectNode ready = root.putObject("readiness");
        ready.put("ready", readiness.ready());
        if (!readiness.ready()) {
            ready.put("reason", readiness.reason());
        }
        StateSnapshot snapshot = status.snapshot();
        root.put("generation", snapshot.generation());
        ArrayNode workloads = root.putArray("workloads");
        snapshot.workloads().forEach(w -> workloads.add(workload(w)));
        ArrayNode services = root.putArray("services");
        snapshot.services().forEach(s -> services.add(service(s, snapshot)));
        ArrayNode policies = root.putArray("policies");
        snapshot.policies().forEach(p -> policies.add(policy(p)));
        root.set("certificates", certificates(status.certificates()));
        ArrayNode pods = root.putArray("pods");
        status.pods().stream()
                .sorted(Comparator.comparing(PodStatus::uid))
                .forEach(p -> pods.addObject()
                        .put("uid", p.uid())
                        .put("netns", p.netns())
                        .put("state", p.state()));
        ArrayNode connections = root.putArray("connections");
        status.connections().stream()
                .sorted(Comparator.comparingLong(c -> c.info().id()))
                .forEach(c -> connections.add(connection(c)));
        return root;
    }

    private static String write(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }

    private static ObjectNode workload(Workload w) {
        ObjectNode n = JSON.createObjectNode();
        n.put("uid", w.uid());
        n.put("name", w.name());
        n.put("namespace", w.namespace());
        n.put("serviceAccount", w.serviceAccount());
        n.put("identity", w.spiffeId());
        n.put("trustDomain", w.trustDomain());
        n.put("node", w.node());
        n.put("clusterId", w.clusterId());
        n.put("network", w.network());
        ArrayNode ips = n.putArray("workloadIps");
        w.addresses().forEach(ip -> ips.add(ip.getHostAddress()));
        n.put("hostname", w.hostname());
        n.put("protocol", w.protocol().name());
        n.put("networkMode", w.networkMode().name());
        w.waypoint().ifPresent(g -> n.set("waypoint", gateway(g)));
        w.networkGateway().ifPresent(g -> n.set("networkGateway", gateway(g)));
        n.put("canonicalName", w.canonicalName());
        n.put("canonicalRevision", w.canonicalRevision());
        n.put("workloadName", w.workloadName());
        n.put("workloadType", w.workloadType());
        ObjectNode services = n.putObject("services");
        w.services().forEach((key, ports) -> services.set(key.toString(), ports(ports)));
        ArrayNode policies = n.putArray("authorizationPolicies");
        w.authorizationPolicies().forEach(policies::add);
        n.put("status", w.status().name());
        ObjectNode locality = n.putObject("locality");
        locality.put("region", w.locality().region());
        locality.put("zone", w.locality().zone());
        locality.put("subzone", w.locality().subzone());
        n.put("capacity", w.capacity());
        n.put("nativeTunnel", w.nativeTunnel());
        w.applicationTunnel()
                .ifPresent(t -> n.putObject("applicationTunnel")
                        .put("protocol", t.kind().name())
                        .put("port", t.port()));
        return n;
    }

    private static ObjectNode service(Service s, StateSnapshot snapshot) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", s.name());
        n.put("namespace", s.namespace());
        n.put("hostname", s.hostname());
        ArrayNode vips = n.putArray("vips");
        s.vips().forEach(v -> vips.add(networkAddress(v)));
        n.set("ports", ports(s.ports()));
        ArrayNode sans = n.putArray("subjectAltNames");
        s.subjectAltNames().forEach(sans::add);
        s.waypoint().ifPresent(g -> n.set("waypoint", gateway(g)));
        s.loadBalancing().ifPresent(lb -> {
            ObjectNode l = n.putObject("loadBalancer");
            ArrayNode prefs = l.putArray("routingPreferences");
            lb.routingPreference().forEach(p -> prefs.add(p.name()));
            l.put("mode", lb.mode().name());
            l.put("healthPolicy", lb.healthPolicy().name());
        });
        ArrayNode endpoints = n.putArray("endpoints");
        snapshot.endpoints(s.key())
                .forEach(e -> endpoints
                        .addObject()
                        .put("workloadUid", e.workload().uid())
                        .put("status", e.workload().status().name())
                        .set("ports", ports(e.ports())));
        return n;
    }

    private static ObjectNode policy(Authorization p) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", p.name());
        n.put("namespace", p.namespace());
        n.put("scope", p.scope().name());
        n.put("action", p.action().name());
        n.put("dryRun", p.dryRun());
        ArrayNode rules = n.putArray("rules");
        for (Rule rule : p.rules()) {
            ArrayNode clauses = rules.addArray();
            for (Clause clause : rule.clauses()) {
                ArrayNode matches = clauses.addArray();
                clause.matches().forEach(m -> matches.add(match(m)));
            }
        }
        return n;
    }

    private static ObjectNode match(Match m) {
        ObjectNode n = JSON.createObjectNode();
        stringMatches(n, "namespaces", m.namespaces());
        stringMatches(n, "notNamespaces", m.notNamespaces());
        serviceAccounts(n, "serviceAccounts", m.serviceAccounts());
        serviceAccounts(n, "notServiceAccounts", m.notServiceAccounts());
        stringMatches(n, "principals", m.principals());
        stringMatches(n, "notPrincipals", m.notPrincipals());
        cidrs(n, "sourceIps", m.sourceIps());
        cidrs(n, "notSourceIps", m.notSourceIps());
        cidrs(n, "destinationIps", m.destinationIps());
        cidrs(n, "notDestinationIps", m.notDestinationIps());
        ports(n, "destinationPorts", m.destinationPorts());
        ports(n, "notDestinationPorts", m.notDestinationPorts());
        return n;
    }

    private static void stringMatches(ObjectNode n, String field, List<StringMatch> matches) {
        if (matches.isEmpty()) {
            return;
        }
        ArrayNode array = n.putArray(field);
        for (StringMatch match : matches) {
            ObjectNode m = array.addObject();
            switch (match) {
                case StringMatch.Exact e -> m.put("exact", e.value());
                case StringMatch.Prefix p -> m.put("prefix", p.value());
                case StringMatch.Suffix s -> m.put("suffix", s.value());
                case StringMatch.Presence p -> m.putObject("presence");
            }
        }
    }

    private static void serviceAccounts(ObjectNode n, String field, List<ServiceAccountMatch> matches) {
        if (!matches.isEmpty()) {
            ArrayNode array = n.putArray(field);
            matches.forEach(sa ->
                    array.addObject().put("namespace", sa.namespace()).put("serviceAccount", sa.serviceAccount()));
        }
    }

    private static void cidrs(ObjectNode n, String field, List<Cidr> cidrs) {
        if (!cidrs.isEmpty()) {
            ArrayNode array = n.putArray(field);
            cidrs.forEach(c -> array.add(c.address().getHostAddress() + "/" + c.prefixLength()));
        }
    }

    private static void ports(ObjectNode n, String field, List<Integer> ports) {
        if (!ports.isEmpty()) {
            ArrayNode array = n.putArray(field);
            ports.forEach(array::add);
        }
    }

    private static ObjectNode ports(PortMap ports) {
        ObjectNode n = JSON.createObjectNode();
        ports.ports().forEach((service, target) -> n.put(String.valueOf(service), target));
        return n;
    }

    private static ObjectNode gateway(GatewayAddress g) {
        ObjectNode n = JSON.createObjectNode();
        switch (g.destination()) {
            case GatewayAddress.Destination.Hostname h -> n.put("hostname", h.toString());
            case GatewayAddress.Destination.Address a -> n.put("address", a.toString());
        }
        n.put("hboneMtlsPort", g.hboneMtlsPort());
        return n;
    }

    private static String networkAddress(NetworkAddress a) {
        return a.network() + "/" + a.address().getHostAddress();
    }

    static ArrayNode certificates(List<CertificateStatus> certificates) {
        ArrayNode array = JSON.createArrayNode();
        certificates.stream()
                .sorted(Comparator.comparing(CertificateStatus::identity))
                .forEach(c -> {
                    ObjectNode n = array.addObject();
                    n.put("identity", c.identity());
                    n.put("state", c.state().label());
                    c.error().ifPresent(e -> n.put("error", e));
                    if (!c.chain().isEmpty()) {
                        X509Certificate leaf = c.chain().getFirst();
                        n.put("serialNumber", leaf.getSerialNumber().toString(16));
                        n.put("validFrom", instant(leaf.getNotBefore().toInstant()));
                        n.put("expirationTime", instant(leaf.getNotAfter().toInstant()));
                    }
                    ArrayNode chain = n.putArray("certChain");
                    for (X509Certificate certificate : c.chain()) {
                        chain.addObject()
                                .put(
                                        "subject",
                                        certificate.getSubjectX500Principal().getName())
                                .put(
                                        "issuer",
                                        certificate.getIssuerX500Principal().getName())
                                .put(
                                        "serialNumber",
                                        certificate.getSerialNumber().toString(16))
                                .put(
                                        "validFrom",
                                        instant(certificate.getNotBefore().toInstant()))
                                .put(
                                        "expirationTime",
                                        instant(certificate.getNotAfter().toInstant()));
                    }
                });
        return array;
    }

    private static ObjectNode connection(ActiveConnection active) {
        ConnectionInfo c = active.info();
        ObjectNode n = JSON.createObjectNode();
        n.put("pod", active.podUid());
        n.put("id", c.id());
        n.put("reporter", c.reporter().label());
        n.put("source", socket(c.source()));
        n.put("destination", socket(c.destination()));
        c.sourceWorkload().ifPresent(w -> n.put("sourceWorkload", w.uid()));
        c.destinationWorkload().ifPresent(w -> n.put("destinationWorkload", w.uid()));
        c.destinationService()
                .ifPresent(s -> n.put("destinationService", s.key().toString()));
        c.sourceIdentity().map(SpiffeId::toString).ifPresent(id -> n.put("sourceIdentity", id));
        c.destinationIdentity().map(SpiffeId::toString).ifPresent(id -> n.put("destinationIdentity", id));
        n.put("securityPolicy", c.securityPolicy().label());
        n.put("started", instant(c.started()));
        n.put("sentBytes", active.sentBytes());
        n.put("receivedBytes", active.receivedBytes());
        return n;
    }

    private static String socket(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static String instant(Instant instant) {
        return instant.toString();
    }
}
