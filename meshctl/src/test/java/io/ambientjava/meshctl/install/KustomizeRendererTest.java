package io.ambientjava.meshctl.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.meshctl.MeshctlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** meshctl's small Kustomize: what it merges, and that it refuses what it does not support. */
class KustomizeRendererTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    @TempDir
    Path root;

    private void write(String path, String text) throws IOException {
        Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private List<ObjectNode> render(String folder) {
        return new KustomizeRenderer(ManifestTree.folder(root)).render(folder);
    }

    private void base() throws IOException {
        write("base/kustomization.yaml", "resources:\n- app.yaml\n- ns.yaml\n");
        write("base/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n");
        write("base/app.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                  namespace: demo
                spec:
                  replicas: 1
                  template:
                    spec:
                      containers:
                      - name: main
                        image: example/app:1.0
                        args: [--a, --b]
                        env:
                        - name: KEEP
                          value: "1"
                        - name: CHANGE
                          value: old
                      - name: helper
                        image: example/helper@sha256:abc
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: app
                  namespace: demo
                spec:
                  ports:
                  - port: 80
                """);
    }

    @Test
    void patchesMergeByNameAndReplaceScalarLists() throws IOException {
        base();
        write("overlay/kustomization.yaml", """
                resources:
                - ../base
                patches:
                - path: patch.yaml
                images:
                - name: example/app
                  newName: mirror.invalid/app
                  newTag: "2.0"
                - name: example/helper
                  digest: sha256:def
                """);
        write("overlay/patch.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                  namespace: demo
                spec:
                  replicas: 3
                  template:
                    spec:
                      containers:
                      - name: main
                        args: [--c]
                        env:
                        - name: CHANGE
                          value: new
                        - name: ADDED
                          value: "x"
                """);
        List<ObjectNode> objects = render("overlay");
        assertThat(objects)
                .extracting(o -> o.path("kind").asText())
                .containsExactly("Namespace", "Service", "Deployment");
        ObjectNode deployment = objects.get(2);
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(3);
        var main = deployment.at("/spec/template/spec/containers/0");
        assertThat(main.path("image").asText()).isEqualTo("mirror.invalid/app:2.0");
        assertThat(main.path("args").toString()).isEqualTo("[\"--c\"]");
        assertThat(main.path("env").toString())
                .isEqualTo("[{\"name\":\"KEEP\",\"value\":\"1\"},{\"name\":\"CHANGE\",\"value\":\"new\"},"
                        + "{\"name\":\"ADDED\",\"value\":\"x\"}]");
        assertThat(deployment.at("/spec/template/spec/containers/1/image").asText())
                .isEqualTo("example/helper@sha256:def");
    }

    @Test
    void nullInAPatchDeletesTheKey() throws IOException {
        ObjectNode target = (ObjectNode) YAML.readTree("a: 1\nb: {c: 2, d: 3}\n");
        KustomizeRenderer.merge(target, (ObjectNode) YAML.readTree("b: {c: null}\n"));
        assertThat(target.toString()).isEqualTo("{\"a\":1,\"b\":{\"d\":3}}");
    }

    @Test
    void imageRewriteKeepsWhatIsNotGiven() {
        ObjectNode tagOnly =
                YAML.createObjectNode().put("name", "reg.invalid:5000/app").put("newTag", "dev");
        assertThat(KustomizeRenderer.rewriteImage("reg.invalid:5000/app:1", tagOnly))
                .isEqualTo("reg.invalid:5000/app:dev");
        assertThat(KustomizeRenderer.rewriteImage("reg.invalid:5000/app", tagOnly))
                .isEqualTo("reg.invalid:5000/app:dev");
        assertThat(KustomizeRenderer.rewriteImage("reg.invalid:5000/other:1", tagOnly))
                .isEqualTo("reg.invalid:5000/other:1");
        ObjectNode nameOnly = YAML.createObjectNode().put("name", "app").set("newName", new TextNode("x/app"));
        assertThat(KustomizeRenderer.rewriteImage("app:7", nameOnly)).isEqualTo("x/app:7");
    }

    @Test
    void unsupportedFieldsAreRefusedByName() throws IOException {
        base();
        write("overlay/kustomization.yaml", "resources:\n- ../base\nnamePrefix: x-\n");
        assertThatThrownBy(() -> render("overlay"))
                .isInstanceOf(MeshctlException.class)
                .hasMessage("overlay/kustomization.yaml: field 'namePrefix' is not supported by meshctl's renderer"
                        + " (supported: resources, patches, images); render with kubectl kustomize instead");
    }

    @Test
    void missingPiecesAreNamed() throws IOException {
        base();
        write("a/kustomization.yaml", "resources:\n- nothing.yaml\n");
        assertThatThrownBy(() -> render("a")).hasMessage("a/kustomization.yaml: resource 'nothing.yaml' not found");
        write("b/kustomization.yaml", "resources:\n- ../base\npatches:\n- path: p.yaml\n");
        write("b/p.yaml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: app\n  namespace: demo\n");
        assertThatThrownBy(() -> render("b"))
                .hasMessage("b/p.yaml: patch target DaemonSet app is not among the resources");
        assertThatThrownBy(() -> render("c")).hasMessageStartingWith("no kustomization.yaml in c");
        write("d/kustomization.yaml", "resources:\n- ../../outside\n");
        assertThatThrownBy(() -> render("d")).hasMessageContaining("leaves the manifest tree");
    }

    @Test
    void cyclesAreRefused() throws IOException {
        write("x/kustomization.yaml", "resources:\n- ../y\n");
        write("y/kustomization.yaml", "resources:\n- ../x\n");
        assertThatThrownBy(() -> render("x")).hasMessage("kustomization cycle: x -> y -> x");
    }
}
