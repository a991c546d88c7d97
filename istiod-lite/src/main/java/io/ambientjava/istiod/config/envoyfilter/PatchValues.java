package io.ambientjava.istiod.config.envoyfilter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import java.util.Map;

/**
 * An EnvoyFilter patch {@code value} (free-form YAML, Envoy's JSON mapping: snake_case or lowerCamel field names,
 * {@code @type} on {@code Any}) into an Envoy proto. A {@code TypedStruct} (udpa v1 or xds v3), which Istio users
 * write around filter configs, is unwrapped to the message its {@code type_url} names, as Envoy does on receipt.
 */
final class PatchValues {

    static final String LOCAL_RATE_LIMIT_TYPE =
            "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
    private static final String UDPA_TYPED_STRUCT = "type.googleapis.com/udpa.type.v1.TypedStruct";
    private static final String XDS_TYPED_STRUCT = "type.googleapis.com/xds.type.v3.TypedStruct";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser()
            .usingTypeRegistry(JsonFormat.TypeRegistry.newBuilder()
                    .add(LocalRateLimit.getDescriptor())
                    .build());

    private PatchValues() {}

    /** Why a value could not be read, in protobuf's words (which name the unknown field or type). */
    static final class BadValue extends Exception {
        BadValue(String message) {
            super(message);
        }
    }

    /** The value as a JSON tree with every TypedStruct unwrapped. */
    static JsonNode tree(Object value) {
        JsonNode node = JSON.valueToTree(value);
        return unwrapTypedStructs(node);
    }

    static <B extends Message.Builder> B read(JsonNode tree, B builder) throws BadValue {
        try {
            PARSER.merge(JSON.writeValueAsString(tree), builder);
            return builder;
        } catch (InvalidProtocolBufferException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadValue(cleanMessage(e.getMessage()));
        } catch (RuntimeException e) {
            throw new BadValue(String.valueOf(e.getMessage()));
        }
    }

    /** The {@code @type} of a typed_config after unwrapping, or empty. */
    static String typeOf(JsonNode typedConfig) {
        return typedConfig != null && typedConfig.path("@type").isTextual()
                ? typedConfig.get("@type").asText()
                : "";
    }

    private static JsonNode unwrapTypedStructs(JsonNode node) {
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                ((com.fasterxml.jackson.databind.node.ArrayNode) node).set(i, unwrapTypedStructs(node.get(i)));
            }
            return node;
        }
        if (!node.isObject()) {
            return node;
        }
        ObjectNode object = (ObjectNode) node;
        String type = typeOf(object);
        if (type.equals(UDPA_TYPED_STRUCT) || type.equals(XDS_TYPED_STRUCT)) {
            ObjectNode unwrapped = JSON.createObjectNode();
            JsonNode typeUrl = object.get("type_url") != null ? object.get("type_url") : object.get("typeUrl");
            unwrapped.put("@type", typeUrl == null ? "" : typeUrl.asText());
            JsonNode inner = object.get("value");
            if (inner != null && inner.isObject()) {
                for (Map.Entry<String, JsonNode> field : inner.properties()) {
                    unwrapped.set(field.getKey(), unwrapTypedStructs(field.getValue()));
                }
            }
            return unwrapped;
        }
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            field.setValue(unwrapTypedStructs(field.getValue()));
        }
        return object;
    }

    private static String cleanMessage(String message) {
        if (message == null) {
            return "unreadable value";
        }
        int newline = message.indexOf('\n');
        String first = newline > 0 ? message.substring(0, newline) : message;
        if (first.contains("parse duration")) {
            first += " (Envoy's JSON writes durations in seconds with an s suffix: 60s, 0.1s)";
        }
        return first;
    }
}
