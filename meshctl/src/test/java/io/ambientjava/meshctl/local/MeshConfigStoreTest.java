package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeshConfigStoreTest {
    @TempDir
    Path dir;

    private MeshConfigStore store() {
        return new MeshConfigStore(dir.resolve("config"), dir.resolve("config.lock"));
    }

    private static ObjectNode yaml(String text) throws Exception {
        return (ObjectNode) MeshConfigStore.parse(text);
    }

    @Test
    void applyingAgainSaysCreatedConfiguredUnchanged() throws Exception {
        MeshConfigStore store = store();
        ResourceKey key = new ResourceKey(ResourceKind.VIRTUAL_SERVICE, "default", "web");
        ObjectNode first = yaml("{apiVersion: networking.istio.io/v1, kind: VirtualService, metadata: {name: web},"
                + " spec: {hosts: [web]}}");
        MeshConfigStore.Outcome created = store.locked(s -> s.put(key, first));
        assertThat(created).isEqualTo(MeshConfigStore.Outcome.CREATED);
        assertThat(store.put(key, first)).isEqualTo(MeshConfigStore.Outcome.UNCHANGED);
        first.with("spec").putArray("hosts").add("web2");
        assertThat(store.put(key, first)).isEqualTo(MeshConfigStore.Outcome.CONFIGURED);

        Path file = dir.resolve("config/networking.istio.io/VirtualService/default/web.yaml");
        assertThat(file).exists();
        assertThat(Files.readString(file)).contains("namespace: default", "- web2");
        assertThat(store.get(key)
                        .orElseThrow()
                        .path("metadata")
                        .path("namespace")
                        .asText())
                .isEqualTo("default");
    }

    @Test
    void servicesGetAClusterIpOnceAndKeepIt() throws Exception {
        MeshConfigStore store = store();
        String service = "{apiVersion: v1, kind: Service, metadata: {name: %s}, spec: {ports: [{port: 80}]}}";
        ResourceKey web = new ResourceKey(ResourceKind.SERVICE, "default", "web");
        ResourceKey api = new ResourceKey(ResourceKind.SERVICE, "default", "api");
        store.put(web, yaml(service.formatted("web")));
        store.put(api, yaml(service.formatted("api")));
        store.put(
                new ResourceKey(ResourceKind.SERVICE, "default", "fixed"),
                yaml("{apiVersion: v1, kind: Service, metadata: {name: fixed}, spec: {clusterIP: 198.19.0.40}}"));

        assertThat(clusterIp(store, web)).isEqualTo("198.19.0.10");
        assertThat(clusterIp(store, api)).isEqualTo("198.19.0.11");
        assertThat(store.put(web, yaml(service.formatted("web")))).isEqualTo(MeshConfigStore.Outcome.UNCHANGED);
        assertThat(clusterIp(store, web)).isEqualTo("198.19.0.10");
        assertThat(store.list(ResourceKind.SERVICE)).hasSize(3);
    }

    private static String clusterIp(MeshConfigStore store, ResourceKey key) {
        return store.get(key).orElseThrow().path("spec").path("clusterIP").asText();
    }

    @Test
    void removeDeletesTheFileAndEmptyFolders() throws Exception {
        MeshConfigStore store = store();
        ResourceKey key = new ResourceKey(ResourceKind.NAMESPACE, "", "shop");
        store.put(key, yaml("{apiVersion: v1, kind: Namespace, metadata: {name: shop}}"));
        assertThat(dir.resolve("config/core/Namespace/_cluster/shop.yaml")).exists();

        assertThat(store.remove(key)).isTrue();
        assertThat(store.remove(key)).isFalse();
        assertThat(dir.resolve("config/core")).doesNotExist();
        assertThat(dir.resolve("config")).exists();
    }

    @Test
    void removingANamespacesContentsLeavesOtherNamespaces() throws Exception {
        MeshConfigStore store = store();
        String policy = "{apiVersion: security.istio.io/v1, kind: AuthorizationPolicy, metadata: {name: p}}";
        store.put(new ResourceKey(ResourceKind.AUTHORIZATION_POLICY, "shop", "p"), yaml(policy));
        store.put(new ResourceKey(ResourceKind.AUTHORIZATION_POLICY, "default", "p"), yaml(policy));

        store.removeNamespaced("shop");

        assertThat(store.exists(new ResourceKey(ResourceKind.AUTHORIZATION_POLICY, "shop", "p")))
                .isFalse();
        assertThat(store.exists(new ResourceKey(ResourceKind.AUTHORIZATION_POLICY, "default", "p")))
                .isTrue();
    }
}
