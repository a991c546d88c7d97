package io.ambientjava.meshctl.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * YAML and JSON as kubectl and istioctl print Kubernetes objects: keys sorted, no nulls, no empty {@code status},
 * plain scalars where YAML allows. The same input always gives the same bytes.
 */
public final class YamlOutput {

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .disable(YAMLGenerator.Feature.SPLIT_LINES)
                    .build())
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();

    private YamlOutput() {}

    /** A Kubernetes object (fabric8 model or tree) as one YAML document, keys sorted. */
    public static String yaml(Object object) {
        return write(YAML, sorted(tree(object)));
    }

    /** Several objects as a multi-document YAML stream separated by {@code ---}. */
    public static String yamlDocuments(List<?> objects) {
        List<String> documents = new ArrayList<>();
        for (Object object : objects) {
            documents.add(yaml(object));
        }
        return String.join("---\n", documents);
    }

    /** A tree in its own key order (for rendering manifests as written). */
    public static String yamlAsWritten(JsonNode node) {
        return write(YAML.copy().disable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS), node);
    }

    /** Tree nodes as one JSON/YAML array. */
    public static ArrayNode arrayOf(List<JsonNode> nodes) {
        ArrayNode array = JSON.createArrayNode();
        nodes.forEach(array::add);
        return array;
    }

    public static String json(Object object) {
        return write(JSON, sorted(tree(object)));
    }

    /** A plain value (records, lists) as indented JSON in its own field order, for {@code -o json} of meshctl's own views. */
    public static String valueJson(Object value) throws JsonProcessingException {
        return JSON.writeValueAsString(value);
    }

    private static JsonNode tree(Object object) {
        if (object instanceof JsonNode node) {
            return node.deepCopy();
        }
        JsonNode node = KUBERNETES.convertValue(object, JsonNode.class);
        if (node instanceof ObjectNode o) {
            JsonNode status = o.get("status");
            if (status != null && (status.isNull() || status.isEmpty())) {
                o.remove("status");
            }
        }
        return node;
    }

    /** Object keys sorted recursively (JsonNode keeps insertion order, so rebuild it). */
    private static JsonNode sorted(JsonNode node) {
        if (node instanceof ObjectNode object) {
            ObjectNode out = JSON.createObjectNode();
            List<Map.Entry<String, JsonNode>> entries = new ArrayList<>(object.properties());
            entries.sort(Map.Entry.comparingByKey());
            for (Map.Entry<String, JsonNode> entry : entries) {
                if (!entry.getValue().isNull()) {
                    out.set(entry.getKey(), sorted(entry.getValue()));
                }
            }
            return out;
        }
        if (node instanceof ArrayNode array) {
            ArrayNode out = JSON.createArrayNode();
            array.forEach(element -> out.add(sorted(element)));
            return out;
        }
        return node;
    }

    private static String write(ObjectMapper mapper, JsonNode node) {
        try {
            String text = mapper.writeValueAsString(node);
            return text.endsWith("\n") ? text : text + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + node.getNodeType(), e);
        }
    }
}
