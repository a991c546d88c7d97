package io.ambientjava.istiod.config.yaml;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Map.Entry;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Finds fields a document has but its model type does not know, and enum values outside the enum, so that a
 * typo such as {@code mtls: {mod: STRICT}} is refused instead of silently meaning PERMISSIVE.
 *
 * <p>fabric8 models collect unknown fields in {@code additionalProperties} and map unknown enum strings to null,
 * which would hide exactly these mistakes; the Kubernetes API server (with strict field validation, kubectl's
 * default) refuses them, and so do we. Walks the JSON tree alongside the model's Jackson properties.
 */
final class UnknownFieldChecker {

    private final ObjectMapper mapper;
    private final boolean unknownFieldsAreErrors;
    private final Map<Class<?>, Map<String, JavaType>> properties = new ConcurrentHashMap<>();

    /**
     * @param unknownFieldsAreErrors false for objects the Kubernetes API server already accepted: there an unknown
     *     field is most likely one newer than our model, so it is reported as a warning and the object still used
     */
    UnknownFieldChecker(ObjectMapper mapper, boolean unknownFieldsAreErrors) {
        this.mapper = mapper;
        this.unknownFieldsAreErrors = unknownFieldsAreErrors;
    }

    void check(JsonNode node, Class<?> modelClass, List<FieldIssue> issues) {
        check(node, mapper.constructType(modelClass), "", issues);
    }

    private void check(JsonNode node, JavaType type, String path, List<FieldIssue> issues) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return;
        }
        if (type.isCollectionLikeType() || type.isArrayType()) {
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    check(node.get(i), type.getContentType(), FieldIssue.index(path, i), issues);
                }
            }
            return;
        }
        if (type.isMapLikeType()) {
            if (node.isObject()) {
                for (Entry<String, JsonNode> field : node.properties()) {
                    check(field.getValue(), type.getContentType(), FieldIssue.child(path, field.getKey()), issues);
                }
            }
            return;
        }
        Class<?> raw = type.getRawClass();
        if (raw.isEnum()) {
            checkEnum(node, raw, path, issues);
            return;
        }
        if (!isModelBean(raw) || !node.isObject()) {
            return; // scalars, free-form objects, custom-deserialized types; type mismatches are Jackson's to report
        }
        Map<String, JavaType> known = propertiesOf(raw);
        for (Entry<String, JsonNode> field : node.properties()) {
            String name = field.getKey();
            String fieldPath = FieldIssue.child(path, name);
            JavaType fieldType = known.get(name);
            if (fieldType == null) {
                fieldType = oneofMember(raw, known, name).orElse(null);
            }
            if (fieldType == null) {
                issues.add(new FieldIssue(
                        unknownFieldsAreErrors,
                        fieldPath,
                        "unknown field '" + name + "'" + suggestion(name, known)
                                + (unknownFieldsAreErrors ? "" : " (ignored)")));
            } else {
                check(field.getValue(), fieldType, fieldPath, issues);
            }
        }
    }

    private static void checkEnum(JsonNode node, Class<?> enumType, String path, List<FieldIssue> issues) {
        if (!node.isTextual()) {
            return; // numeric enum values are legal in proto-based APIs; other types are Jackson's to report
        }
        Object[] constants = enumType.getEnumConstants();
        boolean known =
                Arrays.stream(constants).anyMatch(c -> ((Enum<?>) c).name().equals(node.asText()));
        if (!known) {
            String allowed =
                    Arrays.stream(constants).map(c -> ((Enum<?>) c).name()).collect(Collectors.joining(", "));
            issues.add(
                    FieldIssue.error(path, "unknown value '" + node.asText() + "' (expected one of " + allowed + ")"));
        }
    }

    private static boolean isModelBean(Class<?> raw) {
        if (!raw.getName().startsWith("io.fabric8.") || raw.isInterface() || raw.isPrimitive()) {
            return false;
        }
        JsonDeserialize custom = raw.getAnnotation(JsonDeserialize.class);
        return custom == null || custom.using() == JsonDeserializer.None.class;
    }

    private Map<String, JavaType> propertiesOf(Class<?> raw) {
        return properties.computeIfAbsent(raw, c -> {
            BeanDescription description = mapper.getDeserializationConfig().introspect(mapper.constructType(c));
            Map<String, JavaType> byName = new HashMap<>();
            for (BeanPropertyDefinition property : description.findProperties()) {
                if (property.hasSetter() || property.hasField() || property.hasConstructorParameter()) {
                    byName.put(property.getName(), property.getPrimaryType());
                }
            }
            return Map.copyOf(byName);
        });
    }

    /**
     * fabric8 models a proto oneof as a property of an {@code Is...} interface type, whose implementations are named
     * after the owner and the member ({@code AuthorizationPolicy} + {@code provider} → {@code AuthorizationPolicyProvider}),
     * each holding the member as its single property. This finds the member's type for a field name.
     */
    private Optional<JavaType> oneofMember(Class<?> owner, Map<String, JavaType> known, String field) {
        List<Class<?>> oneofs = known.values().stream()
                .map(JavaType::getRawClass)
                .filter(c -> c.isInterface() && c.getSimpleName().startsWith("Is"))
                .<Class<?>>map(c -> c)
                .toList();
        if (oneofs.isEmpty() || field.isEmpty()) {
            return Optional.empty();
        }
        String candidate = owner.getPackageName() + "." + owner.getSimpleName()
                + field.substring(0, 1).toUpperCase(Locale.ROOT) + field.substring(1);
        try {
            Class<?> member = Class.forName(candidate, false, owner.getClassLoader());
            if (oneofs.stream().noneMatch(i -> i.isAssignableFrom(member))) {
                return Optional.empty();
            }
            return Optional.ofNullable(propertiesOf(member).get(field));
        } catch (ClassNotFoundException e) {
            return Optional.empty();
        }
    }

    private static String suggestion(String name, Map<String, JavaType> known) {
        return known.keySet().stream()
                .filter(k -> k.equalsIgnoreCase(name) || editDistance(k, name) <= 2)
                .sorted()
                .findFirst()
                .map(k -> " (did you mean '" + k + "'?)")
                .orElse("");
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
