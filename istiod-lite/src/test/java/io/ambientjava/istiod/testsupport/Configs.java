package io.ambientjava.istiod.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.yaml.ResourceFileParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds config snapshots from YAML text for tests, failing on any problem in it. */
public final class Configs {

    private static final ResourceFileParser PARSER = new ResourceFileParser();

    private Configs() {}

    public static ConfigSnapshot snapshot(String... yamlFiles) {
        return snapshot(1, yamlFiles);
    }

    public static ConfigSnapshot snapshot(long generation, String... yamlFiles) {
        List<ConfigResource> resources = new ArrayList<>();
        for (int i = 0; i < yamlFiles.length; i++) {
            var parsed = PARSER.parse(Path.of("test-" + i + ".yaml"), yamlFiles[i]);
            assertThat(parsed.problems()).as("problems in test YAML %d", i).isEmpty();
            resources.addAll(parsed.accepted());
        }
        return ConfigSnapshot.of(generation, resources);
    }

    /** A running pod with an IP, on a node, with labels given as {@code k=v} pairs. */
    public static String pod(
            String namespace, String name, String ip, String serviceAccount, String node, String... labels) {
        StringBuilder labelText = new StringBuilder();
        for (String label : labels) {
            String[] kv = label.split("=", 2);
            labelText
                    .append(labelText.isEmpty() ? "" : ", ")
                    .append(kv[0])
                    .append(": ")
                    .append(kv[1]);
        }
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: %s, labels: {%s}}
                spec:
                  serviceAccountName: %s
                  nodeName: %s
                  containers: [{name: app, image: app, ports: [{name: http, containerPort: 8080}]}]
                status: {phase: Running, podIP: %s}
                """.formatted(name, namespace, labelText, serviceAccount, node, ip);
    }

    public static String ambientNamespace(String name) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata: {name: %s, labels: {istio.io/dataplane-mode: ambient}}
                """.formatted(name);
    }

    public static String join(String... documents) {
        return String.join("---\n", documents);
    }
}
