package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Parses local-config YAML into its schema records, strictly: unknown fields, duplicate keys, nulls inside lists and
 * type mismatches are errors naming the source, line, column and field path.
 */
final class LocalConfigParser {

    private static final ObjectMapper MAPPER = YAMLMapper.builder()
            .addModule(new LocalConfigModule())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .defaultSetterInfo(JsonSetter.Value.forContentNulls(Nulls.FAIL))
            .build();

    private LocalConfigParser() {}

    static LocalConfig parse(String source, String text) throws LocalConfigException {
        return parse(source, text, new YamlLocator(text));
    }

    static LocalConfig parse(String source, String text, YamlLocator locator) throws LocalConfigException {
        if (text.isBlank()) {
            throw empty(source);
        }
        LocalConfig config;
        try {
            config = MAPPER.readValue(text, LocalConfig.class);
        } catch (JacksonException e) {
            throw translate(source, e, locator);
        }
        if (config == null) {
            throw empty(source);
        }
        return config;
    }

    private static LocalConfigException empty(String source) {
        return new LocalConfigException(
                source, 0, 0, "", "no configuration in the document (write '{}' for one without resources)");
    }

    private static LocalConfigException translate(String source, JacksonException e, YamlLocator locator) {
        FieldPath fieldPath =
                e instanceof JsonMappingException mapping ? FieldPath.of(mapping.getPath()) : FieldPath.root();
        String path = fieldPath.toString();
        MarkedYAMLException yaml = yamlSyntaxError(e);
        if (yaml != null) {
            String context = yaml.getContext() == null ? "" : yaml.getContext() + ": ";
            return new LocalConfigException(
                    source,
                    yaml.getProblemMark().getLine() + 1,
                    yaml.getProblemMark().getColumn() + 1,
                    path,
                    "invalid YAML: " + context + yaml.getProblem(),
                    e);
        }
        JacksonException innermost = innermost(e);
        JsonLocation location = location(e, innermost, fieldPath, locator);
        int line = location == null ? 0 : Math.max(location.getLineNr(), 0);
        int column = location == null ? 0 : Math.max(location.getColumnNr(), 0);
        if (e instanceof MismatchedInputException m && m.getOriginalMessage().startsWith("No content")) {
            return empty(source);
        }
        return new LocalConfigException(source, line, column, path, problem(e, innermost, path), e);
    }

    private static MarkedYAMLException yamlSyntaxError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
                return yaml;
            }
        }
        return null;
    }

    /**
     * Where the error is. Jackson reports an unknown field of a record only when its whole mapping was read, so for
     * that one the field is looked up in the document.
     */
    private static JsonLocation location(
            JacksonException e, JacksonException innermost, FieldPath path, YamlLocator locator) {
        if (e instanceof UnrecognizedPropertyException) {
            return locator.locate(path).orElse(e.getLocation());
        }
        return e.getLocation() != null ? e.getLocation() : innermost.getLocation();
    }

    private static JacksonException innermost(JacksonException e) {
        JacksonException result = e;
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof JacksonException j) {
                result = j;
            }
        }
        return result;
    }

    private static String problem(JacksonException e, JacksonException innermost, String path) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return "unknown field '" + unknown.getPropertyName() + "'" + known(unknown.getKnownPropertyIds());
        }
        if (e instanceof InvalidNullException) {
            return "null is not allowed here";
        }
        if (e instanceof ValueInstantiationException && e.getCause() != null) {
            return e.getCause().getMessage();
        }
        if (innermost instanceof MismatchedInputException mismatch) {
            String message = mismatch.getOriginalMessage();
            boolean typeMismatch =
                    message.startsWith("Cannot deserialize value of type") || message.startsWith("Cannot coerce");
            if (typeMismatch) {
                if (path.isEmpty()) {
                    return "the document must be a mapping with workloads, services and policies";
                }
                String kind = kind(mismatch.getTargetType());
                if (kind != null) {
                    return "wrong type: expected " + kind;
                }
            }
            if (message.startsWith("Trailing token")) {
                return "more than one YAML document: the config is one document";
            }
            return message;
        }
        String message = innermost.getOriginalMessage();
        if (message.startsWith("Duplicate field ")) {
            return "duplicate key " + message.substring("Duplicate field ".length());
        }
        return message;
    }

    private static String known(Collection<Object> ids) {
        if (ids == null || ids.isEmpty()) {
            return "";
        }
        return " (known: " + ids.stream().map(Object::toString).sorted().collect(Collectors.joining(", ")) + ")";
    }

    private static String kind(Class<?> type) {
        if (type == null) {
            return null;
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a mapping";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return null;
    }
}
