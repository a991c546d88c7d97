package io.ambientjava.meshctl.install;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.meshctl.MeshctlException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small Kustomize: enough of it for our own bases and overlays, so {@code meshctl install --render} needs no
 * kubectl. It reads a {@code kustomization.yaml} with {@code resources} (files, or folders holding a
 * kustomization), {@code patches} (by {@code path}: strategic-merge patches whose target is named by the patch's own
 * kind, name and namespace) and {@code images} ({@code name} to {@code newName}/{@code newTag}/{@code digest});
 * any other field is refused rather than silently ignored. Patches merge maps key by key, lists of named objects
 * (containers, env, volumes, ...) by {@code name}, and replace other lists, as strategic merge does for the
 * fields we patch. Output is sorted as kustomize sorts (by kind in apply order, then namespace and name).
 */
public final class KustomizeRenderer {

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "patches", "images");
    /** Kinds in the order they must be applied (kustomize's legacy order); anything else goes in between. */
    private static final List<String> FIRST = List.of(
            "Namespace",
            "ResourceQuota",
            "StorageClass",
            "CustomResourceDefinition",
            "ServiceAccount",
            "PodSecurityPolicy",
            "Role",
            "ClusterRole",
            "RoleBinding",
            "ClusterRoleBinding",
            "ConfigMap",
            "Secret",
            "Endpoints",
            "Service",
            "LimitRange",
            "PriorityClass",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Deployment",
            "StatefulSet",
            "CronJob",
            "PodDisruptionBudget");

    private static final List<String> LAST = List.of("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration");

    private final ManifestTree tree;

    public KustomizeRenderer(ManifestTree tree) {
        this.tree = tree;
    }

    /** The objects of the kustomization in {@code folder} (relative to the tree's root), sorted for applying. */
    public List<ObjectNode> render(String folder) {
        List<ObjectNode> objects = build(normalize(folder), new ArrayList<>());
        List<ObjectNode> sorted = new ArrayList<>(objects);
        sorted.sort(
                Comparator.comparingInt((ObjectNode o) -> rank(o.path("kind").asText()))
                        .thenComparing(o -> o.path("kind").asText())
                        .thenComparing(o -> o.path("metadata").path("namespace").asText())
                        .thenComparing(o -> o.path("metadata").path("name").asText()));
        return sorted;
    }

    /** The rendered objects as one multi-document YAML stream. */
    public String renderYaml(String folder) {
        return toYaml(render(folder));
    }

    /** Objects as one multi-document YAML stream, each in its own field order. */
    public static String toYaml(List<ObjectNode> objects) {
        List<String> documents = new ArrayList<>();
        for (ObjectNode object : objects) {
            documents.add(io.ambientjava.meshctl.output.YamlOutput.yamlAsWritten(object));
        }
        return String.join("---\n", documents);
    }

    private List<ObjectNode> build(String folder, List<String> visiting) {
        if (visiting.contains(folder)) {
            throw new MeshctlException("kustomization cycle: " + String.join(" -> ", visiting) + " -> " + folder);
        }
        visiting.add(folder);
        String kustomizationFile = join(folder, "kustomization.yaml");
        String text = tree.read(kustomizationFile)
                .orElseThrow(() -> new MeshctlException("no kustomization.yaml in " + (folder.isEmpty() ? "." : folder)
                        + " (" + tree.describe() + ")"));
        JsonNode kustomization = parseOne(kustomizationFile, text);
        for (Iterator<String> names = kustomization.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!SUPPORTED.contains(field)) {
                throw new MeshctlException(kustomizationFile + ": field '" + field
                        + "' is not supported by meshctl's renderer (supported: resources, patches, images);"
                        + " render with kubectl kustomize instead");
            }
        }
        List<ObjectNode> objects = new ArrayList<>();
        for (JsonNode resource : kustomization.path("resources")) {
            String path = normalize(join(folder, resource.asText()));
            if (tree.read(join(path, "kustomization.yaml")).isPresent()) {
                objects.addAll(build(path, visiting));
            } else {
                String content = tree.read(path)
                        .orElseThrow(() -> new MeshctlException(
                                kustomizationFile + ": resource '" + resource.asText() + "' not found"));
                objects.addAll(parseAll(path, content));
            }
        }
        for (JsonNode patch : kustomization.path("patches")) {
            if (!patch.has("path") || patch.size() != 1) {
                throw new MeshctlException(
                        kustomizationFile + ": only 'patches: - path: FILE' is supported by meshctl's renderer");
            }
            String path = normalize(join(folder, patch.path("path").asText()));
            String content = tree.read(path)
                    .orElseThrow(() -> new MeshctlException(
                            kustomizationFile + ": patch '" + patch.path("path").asText() + "' not found"));
            for (ObjectNode patchObject : parseAll(path, content)) {
                ObjectNode target = objects.stream()
                        .filter(o -> sameObject(o, patchObject))
                        .findFirst()
                        .orElseThrow(() -> new MeshctlException(path + ": patch target "
                                + patchObject.path("kind").asText() + " "
                                + patchObject.path("metadata").path("name").asText()
                                + " is not among the resources"));
                merge(target, patchObject);
            }
        }
        for (JsonNode image : kustomization.path("images")) {
            objects.forEach(o -> setImages(o, image));
        }
        visiting.remove(folder);
        return objects;
    }

    private static boolean sameObject(JsonNode a, JsonNode b) {
        return a.path("kind").asText().equals(b.path("kind").asText())
                && group(a).equals(group(b))
                && a.path("metadata")
                        .path("name")
                        .asText()
                        .equals(b.path("metadata").path("name").asText())
                && a.path("metadata")
                        .path("namespace")
                        .asText()
                        .equals(b.path("metadata").path("namespace").asText());
    }

    private static String group(JsonNode object) {
        String apiVersion = object.path("apiVersion").asText();
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    /** Strategic merge, as far as our patches need it. */
    static void merge(ObjectNode target, ObjectNode patch) {
        for (Map.Entry<String, JsonNode> entry : patch.properties()) {
            JsonNode current = target.get(entry.getKey());
            JsonNode value = entry.getValue();
            if (value.isNull()) {
                target.remove(entry.getKey());
            } else if (current instanceof ObjectNode currentObject && value instanceof ObjectNode valueObject) {
                merge(currentObject, valueObject);
            } else if (current instanceof ArrayNode currentArray
                    && value instanceof ArrayNode valueArray
                    && allNamed(currentArray)
                    && allNamed(valueArray)) {
                mergeByName(currentArray, valueArray);
            } else {
                target.set(entry.getKey(), value.deepCopy());
            }
        }
    }

    private static boolean allNamed(ArrayNode array) {
        if (array.isEmpty()) {
            return false;
        }
        for (JsonNode element : array) {
            if (!element.isObject() || !element.path("name").isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static void mergeByName(ArrayNode target, ArrayNode patch) {
        for (JsonNode element : patch) {
            String name = element.path("name").asText();
            ObjectNode existing = null;
            for (JsonNode candidate : target) {
                if (candidate.path("name").asText().equals(name)) {
                    existing = (ObjectNode) candidate;
                }
            }
            if (existing == null) {
                target.add(element.deepCopy());
            } else {
                merge(existing, (ObjectNode) element);
            }
        }
    }

    /** Kustomize's {@code images}: the image whose name (without tag or digest) matches gets the new parts. */
    private static void setImages(JsonNode node, JsonNode image) {
        forEachContainer(
                node,
                c -> c.set("image", new TextNode(rewriteImage(c.path("image").asText(), image))));
    }

    /** Every container and init container (with an image) anywhere in {@code node}. */
    static void forEachContainer(JsonNode node, java.util.function.Consumer<ObjectNode> action) {
        if (node instanceof ObjectNode object) {
            for (String listName : List.of("containers", "initContainers")) {
                for (JsonNode container : object.path(listName)) {
                    if (container instanceof ObjectNode c && c.path("image").isTextual()) {
                        action.accept(c);
                    }
                }
            }
            object.elements().forEachRemaining(child -> forEachContainer(child, action));
        } else if (node instanceof ArrayNode array) {
            array.forEach(child -> forEachContainer(child, action));
        }
    }

    static String rewriteImage(String reference, JsonNode image) {
        String name = reference;
        String tag = "";
        int at = name.indexOf('@');
        if (at >= 0) {
            tag = name.substring(at);
            name = name.substring(0, at);
        } else {
            int colon = name.lastIndexOf(':');
            if (colon > name.lastIndexOf('/')) {
                tag = name.substring(colon);
                name = name.substring(0, colon);
            }
        }
        if (!name.equals(image.path("name").asText())) {
            return reference;
        }
        if (image.has("newName")) {
            name = image.path("newName").asText();
        }
        if (image.has("digest")) {
            tag = "@" + image.path("digest").asText();
        } else if (image.has("newTag")) {
            tag = ":" + image.path("newTag").asText();
        }
        return name + tag;
    }

    private static JsonNode parseOne(String path, String text) {
        try {
            JsonNode node = YAML.readTree(text);
            if (node == null || !node.isObject()) {
                throw new MeshctlException(path + ": not a YAML mapping");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new MeshctlException(path + ": " + e.getOriginalMessage(), e);
        }
    }

    private static List<ObjectNode> parseAll(String path, String text) {
        List<ObjectNode> out = new ArrayList<>();
        try (MappingIterator<JsonNode> documents =
                YAML.readerFor(JsonNode.class).readValues(text)) {
            int index = 0;
            while (documents.hasNextValue()) {
                index++;
                JsonNode node = documents.nextValue();
                if (node == null || node.isNull() || node.isMissingNode() || node.isEmpty()) {
                    continue;
                }
                if (!(node instanceof ObjectNode object)
                        || !object.path("kind").isTextual()
                        || !object.path("metadata").path("name").isTextual()) {
                    throw new MeshctlException(
                            path + " (document " + index + "): not a Kubernetes object (kind and metadata.name)");
                }
                out.add(object);
            }
        } catch (IOException e) {
            throw new MeshctlException(path + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static int rank(String kind) {
        int first = FIRST.indexOf(kind);
        if (first >= 0) {
            return first;
        }
        int last = LAST.indexOf(kind);
        return last >= 0 ? FIRST.size() + 1 + last : FIRST.size();
    }

    private static String join(String folder, String name) {
        return folder.isEmpty() ? name : folder + "/" + name;
    }

    private static String normalize(String path) {
        String normalized = Path.of(path).normalize().toString().replace('\\', '/');
        if (normalized.startsWith("..")) {
            throw new MeshctlException(path + " leaves the manifest tree");
        }
        return normalized;
    }
}
