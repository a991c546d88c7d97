package io.ambientjava.ztunnel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.ztunnel.state.GatewayAddress;
import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.LoadBalancing;
import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.NetworkMode;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.StateUpdate;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Cidr;
import io.ambientjava.ztunnel.state.policy.Match;
import io.ambientjava.ztunnel.state.policy.ServiceAccountMatch;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LocalConfigLoaderTest {

    static String example() throws IOException {
        try (InputStream in = LocalConfigLoaderTest.class.getResourceAsStream("/examples/localhost.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final String FULL = """
            workloads:
            - uid: Kubernetes//Pod/default/echo-0
              name: echo-0
              namespace: default
              serviceAccount: echo
              trustDomain: cluster.local
              workloadIps: ["198.18.0.20", "fd00::20"]
              protocol: HBONE
              networkMode: Standard
              node: node-a
              network: ""
              clusterId: cluster-a
              hostname: ""
              waypoint:
                destination: default/waypoint.default.svc.cluster.local
                hboneMtlsPort: 15008
              networkGateway:
                destination: /198.19.0.99
              canonicalName: echo
              canonicalRevision: v1
              workloadName: echo
              workloadType: deployment
              services:
                "default/echo.default.svc.cluster.local":
                  80: 8080
                  443: 8443
              authorizationPolicies: [default/only-client]
              status: Unhealthy
              locality: {region: r1, zone: z1, subzone: s1}
              capacity: 2
              nativeTunnel: true
              applicationTunnel: {protocol: PROXY, port: 15088}
            - uid: Kubernetes//Pod/kube-system/agent-0
              namespace: kube-system
              workloadIps: ["198.18.0.2"]
              networkMode: HostNetwork
            services:
            - name: echo
              namespace: default
              hostname: echo.default.svc.cluster.local
              vips: ["/198.19.0.10", "east/198.19.0.10"]
              ports: {80: 8080, 443: 0}
              subjectAltNames: ["spiffe://cluster.local/ns/default/sa/echo"]
              waypoint: {destination: "/198.19.0.98"}
              loadBalancer:
                routingPreferences: [Network, Zone]
                mode: Failover
                healthPolicy: AllowAll
              canonical: true
            policies:
            - name: only-client
              namespace: default
              scope: WorkloadSelector
              action: Allow
              dryRun: true
              rules:
              - - - namespaces: [{Exact: default}]
                    notNamespaces: [{prefix: kube-}]
                    serviceAccounts: [{namespace: default, serviceAccount: client}]
                    notServiceAccounts: [{namespace: default, serviceAccount: banned}]
                    principals: [{Suffix: /sa/client}]
                    notPrincipals: [{Presence: []}]
                    sourceIps: ["198.18.0.0/16"]
                    notSourceIps: ["198.18.0.66"]
                    destinationIps: ["198.18.0.20/32"]
                    notDestinationIps: ["fd00::/8"]
                    destinationPorts: [8080]
                    notDestinationPorts: [9999]
                - - destinationPorts: [8443]
              - []
            """;

    @Test
    void parsesEveryField() throws Exception {
        StateUpdate update = LocalConfigLoader.load("full.yaml", FULL);
        assertThat(update.replaceAll()).isTrue();

        Workload echo = update.workloads().getFirst();
        assertThat(echo.uid()).isEqualTo("Kubernetes//Pod/default/echo-0");
        assertThat(echo.spiffeId()).isEqualTo("spiffe://cluster.local/ns/default/sa/echo");
        assertThat(echo.addresses()).hasSize(2);
        assertThat(echo.protocol()).isEqualTo(Protocol.HBONE);
        assertThat(echo.clusterId()).isEqualTo("cluster-a");
        assertThat(echo.waypoint())
                .contains(GatewayAddress.ofHostname(
                        NamespacedHostname.parse("default/waypoint.default.svc.cluster.local"), 15008));
        assertThat(echo.networkGateway())
                .contains(GatewayAddress.ofAddress(NetworkAddress.parse("/198.19.0.99"), 15008));
        assertThat(echo.canonicalRevision()).isEqualTo("v1");
        assertThat(echo.services())
                .containsEntry(
                        NamespacedHostname.parse("default/echo.default.svc.cluster.local"),
                        new PortMap(java.util.Map.of(80, 8080, 443, 8443)));
        assertThat(echo.authorizationPolicies()).containsExactly("default/only-client");
        assertThat(echo.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(echo.locality().zone()).isEqualTo("z1");
        assertThat(echo.capacity()).isEqualTo(2);
        assertThat(echo.nativeTunnel()).isTrue();
        assertThat(echo.applicationTunnel())
                .hasValueSatisfying(t -> assertThat(t.port()).isEqualTo(15088));

        Workload agent = update.workloads().get(1);
        assertThat(agent.networkMode()).isEqualTo(NetworkMode.HOST_NETWORK);
        assertThat(agent.serviceAccount()).isEqualTo("default");
        assertThat(agent.protocol()).isEqualTo(Protocol.TCP);

        Service service = update.services().getFirst();
        assertThat(service.vips()).extracting(Object::toString).containsExactly("/198.19.0.10", "east/198.19.0.10");
        assertThat(service.ports().target(443)).hasValue(0);
        assertThat(service.loadBalancing()).hasValueSatisfying(lb -> {
            assertThat(lb.routingPreference()).containsExactly(LoadBalancing.Scope.NETWORK, LoadBalancing.Scope.ZONE);
            assertThat(lb.mode()).isEqualTo(LoadBalancing.Mode.FAILOVER);
        });
        assertThat(service.includesUnhealthyEndpoints()).isTrue();
        assertThat(service.canonical()).isTrue();

        Authorization policy = update.policies().getFirst();
        assertThat(policy.key()).isEqualTo("default/only-client");
        assertThat(policy.scope()).isEqualTo(Authorization.Scope.WORKLOAD_SELECTOR);
        assertThat(policy.dryRun()).isTrue();
        assertThat(policy.rules()).hasSize(2);
        assertThat(policy.rules().get(1).clauses()).isEmpty();
        Match m = policy.rules().getFirst().clauses().getFirst().matches().getFirst();
        assertThat(m.namespaces()).containsExactly(StringMatch.exact("default"));
        assertThat(m.notNamespaces()).containsExactly(StringMatch.prefix("kube-"));
        assertThat(m.serviceAccounts()).containsExactly(new ServiceAccountMatch("default", "client"));
        assertThat(m.notServiceAccounts()).containsExactly(new ServiceAccountMatch("default", "banned"));
        assertThat(m.principals()).containsExactly(StringMatch.suffix("/sa/client"));
        assertThat(m.notPrincipals()).containsExactly(StringMatch.presence());
        assertThat(m.sourceIps()).containsExactly(Cidr.parse("198.18.0.0/16"));
        assertThat(m.notSourceIps()).containsExactly(Cidr.parse("198.18.0.66/32"));
        assertThat(m.destinationIps()).containsExactly(Cidr.parse("198.18.0.20/32"));
        assertThat(m.notDestinationIps()).containsExactly(Cidr.parse("fd00::/8"));
        assertThat(m.destinationPorts()).containsExactly(8080);
        assertThat(m.notDestinationPorts()).containsExactly(9999);
        assertThat(policy.rules()
                        .getFirst()
                        .clauses()
                        .get(1)
                        .matches()
                        .getFirst()
                        .destinationPorts())
                .containsExactly(8443);
    }

    @Test
    void acceptsUpstreamStyleTagsAndCaseForStringMatchesAndEnums() throws Exception {
        StateUpdate update = LocalConfigLoader.load("tags.yaml", """
                policies:
                - name: strict
                  namespace: istio-system
                  scope: WORKLOAD_SELECTOR
                  action: deny
                  rules:
                  - - - notPrincipals:
                        - !Presence
                        principals:
                        - !Exact cluster.local/ns/a/sa/b
                        - {presence: null}
                """);
        Match m = update.policies()
                .getFirst()
                .rules()
                .getFirst()
                .clauses()
                .getFirst()
                .matches()
                .getFirst();
        assertThat(m.notPrincipals()).containsExactly(StringMatch.presence());
        assertThat(m.principals())
                .containsExactly(StringMatch.exact("cluster.local/ns/a/sa/b"), StringMatch.presence());
        assertThat(update.policies().getFirst().action()).isEqualTo(Authorization.Action.DENY);
    }

    @Test
    void upstreamExampleShapeLoads() throws Exception {
        // upstream's examples/localhost.yaml shape, with our address ranges
        StateUpdate update = LocalConfigLoader.load("upstream.yaml", """
                workloads:
                - uid: cluster1//v1/Pod/default/local
                  name: local
                  namespace: default
                  serviceAccount: default
                  workloadIps: ["198.18.0.1"]
                  protocol: HBONE
                  node: local
                  network: ""
                  services:
                    "default/example.com":
                      80: 8080
                policies:
                  - action: Allow
                    rules:
                    - - - notDestinationPorts:
                          - 9999
                    name: deny-9999
                    namespace: default
                    scope: Namespace
                services:
                - name: local
                  namespace: default
                  hostname: example.com
                  vips:
                    - /198.19.0.1
                  ports:
                    80: 8080
                  subjectAltNames:
                   - spiffe://cluster.local/ns/default/sa/local
                """);
        assertThat(update.workloads()).hasSize(1);
        assertThat(update.services()).hasSize(1);
        assertThat(update.policies()).hasSize(1);
    }

    @Test
    void shippedExampleLoadsIntoTheStore() throws Exception {
        WorkloadStore store = new WorkloadStore();
        StateSnapshot s = store.apply(LocalConfigLoader.load("localhost.yaml", example()));
        assertThat(s.workloads()).hasSize(4);
        assertThat(s.services()).hasSize(2);
        assertThat(s.policies())
                .extracting(Authorization::key)
                .containsExactly(
                        "default/allow-client", "default/deny-9999", "istio-system/istio_converted_static_strict");
        assertThat(s.endpoints(NamespacedHostname.parse("default/echo.default.svc.cluster.local")))
                .hasSize(2);
        assertThat(s.serviceAt(NetworkAddress.parse("/198.19.0.10"), 80)).isPresent();
        assertThat(example()).doesNotContainPattern("\\b10\\.\\d|\\b192\\.168\\.|\\b172\\.(1[6-9]|2\\d|3[01])\\.");
    }

    @Test
    void emptyMappingIsAnEmptyState() throws Exception {
        StateUpdate update = LocalConfigLoader.load("e.yaml", "{}");
        assertThat(update.workloads()).isEmpty();
        assertThat(update.replaceAll()).isTrue();
        assertThat(LocalConfigLoader.load("e.yaml", "workloads: []\nservices:\npolicies: []\n")
                        .services())
                .isEmpty();
    }

    @Test
    void badYamlNamesLineAndColumn() {
        assertError(
                "workloads:\n- uid: a\n  namespace: \"default\n",
                4,
                1,
                "workloads[0]",
                "invalid YAML: while scanning a quoted scalar: found unexpected end of stream");
        assertError(
                "workloads:\n  - uid: a\n namespace: x\n",
                3,
                2,
                "",
                "invalid YAML: while parsing a block mapping: expected <block end>, but found '<block mapping start>'");
    }

    @Test
    void unknownFieldNamesItsPath() {
        LocalConfigException e = assertError(
                "workloads:\n- uid: a\n  namespace: default\n  workloadIp: 198.18.0.1\n",
                4,
                3,
                "workloads[0].workloadIp",
                null);
        assertThat(e.problem())
                .startsWith("unknown field 'workloadIp' (known: ")
                .contains("workloadIps");
        assertError("policy: []\n", 1, 1, "policy", null);
        assertError(
                "policies:\n- name: p\n  namespace: n\n  scope: Global\n  action: Deny\n  rules: [[[{sourceIp: [\"198.18.0.1\"]}]]]\n",
                6,
                14,
                "policies[0].rules[0][0][0].sourceIp",
                null);
    }

    @Test
    void wrongTypes() {
        assertError(
                "workloads:\n- uid: a\n  namespace: default\n  workloadIps: 198.18.0.1\n",
                4,
                16,
                "workloads[0].workloadIps",
                "wrong type: expected a list");
        assertError(
                "workloads:\n- uid: a\n  namespace: default\n  capacity: \"3\"\n",
                4,
                13,
                "workloads[0].capacity",
                "wrong type: expected an integer");
        assertError("workloads: {uid: a}\n", 1, 12, "workloads", "wrong type: expected a list");
        assertError("- uid: a\n", 1, 1, "", "the document must be a mapping with workloads, services and policies");
        assertError(
                "services:\n- namespace: default\n  hostname: h\n  ports: [80]\n",
                4,
                10,
                "services[0].ports",
                "expected a mapping of ports, like {80: 8080}");
    }

    @Test
    void duplicatesAreRefused() {
        assertError(
                "workloads:\n- uid: a\n  namespace: default\n- uid: a\n  namespace: other\n",
                4,
                3,
                "workloads[1].uid",
                "duplicate uid 'a' (first at line 2)");
        assertError(
                "services:\n- {namespace: d, hostname: h}\n- {namespace: d, hostname: h}\n",
                3,
                18,
                "services[1].hostname",
                "duplicate namespace/hostname 'd/h' (first at line 2)");
        assertError(
                "services:\n- {namespace: d, hostname: a, vips: [/198.19.0.1]}\n- {namespace: d, hostname: b, vips: [/198.19.0.1]}\n",
                3,
                38,
                "services[1].vips[0]",
                "duplicate VIP '/198.19.0.1' (first at line 2)");
        assertError(
                "policies:\n- {name: p, namespace: n, scope: Global, action: Deny}\n- {name: p, namespace: n, scope: Global, action: Allow}\n",
                3,
                4,
                "policies[1].name",
                "duplicate namespace/name 'n/p' (first at line 2)");
        assertError("workloads:\n- uid: a\n  uid: b\n  namespace: d\n", 3, 6, "workloads[0]", "duplicate key 'uid'");
    }

    @Test
    void invalidAddressesAndCidrs() {
        assertError(
                "workloads:\n- uid: a\n  namespace: default\n  workloadIps: [\"198.18.0.300\"]\n",
                4,
                17,
                "workloads[0].workloadIps[0]",
                "'198.18.0.300' is not an IP address");
        assertError(
                "workloads:\n- uid: a\n  namespace: default\n  workloadIps: [echo.example]\n",
                4,
                17,
                "workloads[0].workloadIps[0]",
                "'echo.example' is not an IP address");
        assertError(
                "services:\n- namespace: d\n  hostname: h\n  vips: [\"198.19.0.1\"]\n",
                4,
                10,
                "services[0].vips[0]",
                "'198.19.0.1' is not network/ip (use '/198.19.0.1' for the default network)");
        assertError(
                "policies:\n- name: p\n  namespace: n\n  scope: Global\n  action: Deny\n  rules:\n  - - - sourceIps: [\"198.18.0.0/33\"]\n",
                7,
                21,
                "policies[0].rules[0][0][0].sourceIps[0]",
                "prefix length 33 is not in 0..32 for 198.18.0.0");
        assertError(
                "policies:\n- name: p\n  namespace: n\n  scope: Global\n  action: Deny\n  rules:\n  - - - destinationIps: [\"198.18.0.0/x\"]\n",
                7,
                26,
                "policies[0].rules[0][0][0].destinationIps[0]",
                "'198.18.0.0/x' has no valid prefix length");
    }

    @Test
    void unknownEnumValues() {
        assertError(
                "workloads:\n- uid: a\n  namespace: default\n  protocol: QUIC\n",
                4,
                13,
                "workloads[0].protocol",
                "'QUIC' is not one of TCP, HBONE");
        assertError(
                "policies:\n- {name: p, namespace: n, scope: Cluster, action: Deny}\n",
                2,
                34,
                "policies[0].scope",
                "'Cluster' is not one of GLOBAL, NAMESPACE, WORKLOAD_SELECTOR");
        assertError(
                "policies:\n- name: p\n  namespace: n\n  scope: Global\n  action: Deny\n  rules: [[[{principals: [{Regex: x}]}]]]\n",
                6,
                28,
                "policies[0].rules[0][0][0].principals[0]",
                "'Regex' is not a string match kind: expected {exact: x}, {prefix: x}, {suffix: x} or {presence: {}}");
    }

    @Test
    void portsAreChecked() {
        assertError(
                "workloads:\n- uid: a\n  namespace: d\n  services:\n    \"d/h\":\n      80: 70000\n",
                6,
                11,
                "workloads[0].services[\"d/h\"][80]",
                "target port 70000 is not in 0..65535");
        assertError(
                "workloads:\n- uid: a\n  namespace: d\n  services:\n    \"d/h\":\n      http: 80\n",
                6,
                7,
                "workloads[0].services[\"d/h\"].http",
                "'http' is not a service port number");
        assertError(
                "workloads:\n- uid: a\n  namespace: d\n  services:\n    \"h\":\n      80: 80\n",
                5,
                5,
                "workloads[0].services.h",
                "'h' is not namespace/hostname");
        assertError(
                "policies:\n- name: p\n  namespace: n\n  scope: Global\n  action: Deny\n  rules: [[[{destinationPorts: [65536]}]]]\n",
                6,
                33,
                "policies[0].rules[0][0][0].destinationPorts[0]",
                "port 65536 is not in 0..65535");
    }

    @Test
    void requiredFieldsAndOtherProblems() {
        assertError("workloads:\n- uid: a\n", 2, 3, "workloads[0].namespace", "is required");
        assertError("workloads:\n- namespace: d\n", 2, 3, "workloads[0].uid", "is required");
        assertError(
                "policies:\n- {name: p, namespace: n, action: Deny}\n",
                2,
                3,
                "policies[0].scope",
                "is required (Global, Namespace or WorkloadSelector)");
        assertError(
                "workloads:\n- uid: a\n  namespace: d\n  waypoint: {hboneMtlsPort: 15008}\n",
                4,
                3,
                "workloads[0].waypoint.destination",
                "is required");
        assertError(
                "workloads:\n- uid: a\n  namespace: d\n  workloadIps: [null]\n",
                4,
                17,
                "workloads[0].workloadIps[0]",
                "null is not allowed here");
        assertError("", 0, 0, "", "no configuration in the document (write '{}' for one without resources)");
        assertError("# nothing\n", 0, 0, "", "no configuration in the document (write '{}' for one without resources)");
        assertError("{}\n---\n{}\n", 3, 1, "", "more than one YAML document: the config is one document");
    }

    private static LocalConfigException assertError(String yaml, int line, int column, String path, String problem) {
        try {
            LocalConfigLoader.load("cfg.yaml", yaml);
        } catch (LocalConfigException e) {
            assertThat(e.source()).isEqualTo("cfg.yaml");
            assertThat(e.path()).as(e.getMessage()).isEqualTo(path);
            if (problem != null) {
                assertThat(e.problem()).as(e.getMessage()).isEqualTo(problem);
            }
            assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
            assertThat(e.column()).as(e.getMessage()).isEqualTo(column);
            String where = line > 0 ? "cfg.yaml:" + line + ":" + column + ": " : "cfg.yaml: ";
            assertThat(e.getMessage()).startsWith(where + (path.isEmpty() ? "" : path + ": "));
            return e;
        }
        throw new AssertionError("expected an error for:\n" + yaml);
    }

    @Test
    void errorsKeepTheirCause() {
        assertThatThrownBy(() -> LocalConfigLoader.load("c.yaml", "workloads: [ {uid: a"))
                .isInstanceOf(LocalConfigException.class)
                .hasCauseInstanceOf(com.fasterxml.jackson.core.JacksonException.class);
    }
}
