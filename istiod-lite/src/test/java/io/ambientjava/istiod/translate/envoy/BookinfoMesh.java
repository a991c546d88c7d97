package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.testsupport.Configs;
import io.ambientjava.istiod.translate.MeshSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Bookinfo-style services in namespace {@code default} (where the seed examples land), in the ambient mesh, all
 * bound to the waypoint {@code default/waypoint}; pods labelled {@code version=v1|v2|v3}, and a DestinationRule
 * defining those subsets.
 */
final class BookinfoMesh {

    static final String NAMESPACE = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: default, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
            """;
    static final String WAYPOINT = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: waypoint, namespace: default}
            spec:
              gatewayClassName: istio-waypoint
              listeners: [{name: mesh, port: 15008, protocol: HBONE}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: waypoint, namespace: default, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
            spec: {clusterIP: 198.19.0.2, ports: [{name: mesh, port: 15008}]}
            """;
    static final String SUBSETS = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: subsets, namespace: default}
            spec:
              host: %s
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
              - {name: v3, labels: {version: v3}}
            """;

    static final MeshSettings SETTINGS = MeshSettings.defaults();

    private BookinfoMesh() {}

    static String service(String name, String vip, int port) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: default}
                spec: {clusterIP: %s, selector: {app: %s}, ports: [{name: http, port: %d, targetPort: 8080}]}
                """.formatted(name, vip, name, port);
    }

    /** The mesh plus the given extra documents (seed example file names or YAML text). */
    static ConfigSnapshot with(String... extra) {
        List<String> docs = new ArrayList<>(List.of(
                NAMESPACE,
                WAYPOINT,
                service("reviews", "198.19.0.20", 9080),
                service("ratings", "198.19.0.21", 9080),
                service("product-api", "198.19.0.22", 8080),
                SUBSETS.formatted("reviews").replace("name: subsets", "name: reviews-subsets"),
                SUBSETS.formatted("ratings").replace("name: subsets", "name: ratings-subsets"),
                SUBSETS.formatted("product-api").replace("name: subsets", "name: product-api-subsets")));
        int ip = 10;
        for (String app : List.of("reviews", "ratings", "product-api")) {
            for (String version : List.of("v1", "v2", "v3")) {
                docs.add(pod(
                        "default",
                        app + "-" + version,
                        "198.18.1." + ip++,
                        app,
                        "node-a",
                        "app=" + app,
                        "version=" + version));
            }
        }
        for (String item : extra) {
            docs.add(item.endsWith(".yaml") ? seed(item) : item);
        }
        return Configs.snapshot(join(docs.toArray(String[]::new)));
    }

    static String seed(String name) {
        try {
            return Files.readString(Path.of("src/test/resources/seed-examples", name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static EnvoyTranslation translate(ConfigSnapshot snapshot) {
        return new EnvoyTranslator(SETTINGS).translate(snapshot);
    }

    static ProxyResources waypoint(EnvoyTranslation translation) {
        return translation.of(ProxyId.waypoint("default", "waypoint"));
    }
}
