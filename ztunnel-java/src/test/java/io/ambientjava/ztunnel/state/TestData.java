package io.ambientjava.ztunnel.state;

import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Match;
import io.ambientjava.ztunnel.state.policy.Rule;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import java.util.List;

/** Small builders for tests: pods in 198.18.0.0/24, VIPs in 198.19.0.0/16. */
public final class TestData {

    public static final String ECHO = "default/echo.default.svc.cluster.local";

    private TestData() {}

    public static String podUid(String namespace, String name) {
        return "Kubernetes//Pod/" + namespace + "/" + name;
    }

    public static Workload.Builder pod(String namespace, String name, String ip) {
        return Workload.builder(podUid(namespace, name), namespace)
                .name(name)
                .serviceAccount(name.replaceAll("-\\d+$", ""))
                .addresses(ip)
                .protocol(Protocol.HBONE)
                .node("node-a");
    }

    public static Service.Builder echoService() {
        return Service.builder("default", "echo.default.svc.cluster.local")
                .name("echo")
                .vips("/198.19.0.10")
                .ports(PortMap.of(80, 8080));
    }

    public static Authorization strictMtls() {
        return new Authorization(
                "istio_converted_static_strict",
                "istio-system",
                Authorization.Scope.WORKLOAD_SELECTOR,
                Authorization.Action.DENY,
                List.of(Rule.of(
                        Match.builder().notPrincipals(StringMatch.presence()).build())),
                false);
    }

    public static Authorization policy(
            String namespace, String name, Authorization.Scope scope, Authorization.Action action, Match match) {
        return new Authorization(name, namespace, scope, action, List.of(Rule.of(match)), false);
    }
}
