package io.ambientjava.istiod.config.yaml;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.SourceLocation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Reads one multi-document YAML file into resources. Every document is decoded on its own: a bad document is
 * reported (file, document, resource, field, reason) and refused while the others are still read. A YAML syntax
 * error ends the file, since nothing after it can be trusted. Thread-safe.
 */
public final class ResourceFileParser {

    private final ObjectMapper mapper;
    private final UnknownFieldChecker unknownFields;

    public ResourceFileParser() {
        this(true);
    }

    private ResourceFileParser(boolean unknownFieldsAreErrors) {
        this.mapper = YAMLMapper.builder()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        this.unknownFields = new UnknownFieldChecker(mapper, unknownFieldsAreErrors);
    }

    /**
     * A parser for objects read from the Kubernetes API server: the same checks, except that fields unknown to our
     * model are warnings (the server knows its schema better than our model of it) rather than errors.
     */
    public static ResourceFileParser forApiServerObjects() {
        return new ResourceFileParser(false);
    }

    /** What became of one document. */
    public sealed interface Outcome {
        SourceLocation location();
    }

    /** The document is a valid resource. */
    public record Accepted(ConfigResource resource) implements Outcome {
        @Override
        public SourceLocation location() {
            return resource.location();
        }
    }

    /** The document was refused; {@code key} names the resource when it could be read that far. */
    public record Refused(SourceLocation location, Optional<ResourceKey> key) implements Outcome {}

    /** The document is empty or of a kind istiod-lite does not read. */
    public record Ignored(SourceLocation location) implements Outcome {}

    /**
     * @param complete false when a YAML syntax error stopped the reading; documents after it are unknown
     */
    public record ParsedFile(Path file, List<Outcome> outcomes, List<ConfigProblem> problems, boolean complete) {
        public ParsedFile {
            outcomes = List.copyOf(outcomes);
            problems = List.copyOf(problems);
        }

        public List<ConfigResource> accepted() {
            return outcomes.stream()
                    .filter(o -> o instanceof Accepted)
                    .map(o -> ((Accepted) o).resource())
                    .toList();
        }
    }

    /**
     * @param file the name to report (usually relative to the config folder)
     * @param text the file's content
     */
    public ParsedFile parse(Path file, String text) {
        List<Outcome> outcomes = new ArrayList<>();
        List<ConfigProblem> problems = new ArrayList<>();
        int document = 0;
        try (MappingIterator<JsonNode> documents =
                mapper.readerFor(JsonNode.class).readValues(text)) {
            while (documents.hasNextValue()) {
                document++;
                JsonNode node = documents.nextValue();
                outcomes.add(decode(node, new SourceLocation(file, document), problems));
            }
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            String position = where == null ? "" : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
            problems.add(ConfigProblem.error(
                    new SourceLocation(file, Math.max(document, 1)),
                    "",
                    "",
                    "YAML syntax error" + position + ": " + syntaxMessage(e.getOriginalMessage())
                            + "; the rest of the file was not read"));
            return new ParsedFile(file, outcomes, problems, false);
        } catch (IOException e) {
            problems.add(ConfigProblem.error(new SourceLocation(file, Math.max(document, 1)), "", "", e.toString()));
            return new ParsedFile(file, outcomes, problems, false);
        }
        return new ParsedFile(file, outcomes, problems, true);
    }

    /**
     * Decodes and validates one document (or one object from the API server): what {@link #parse} does for each
     * document of a file. Problems are added to {@code problems}.
     */
    public Outcome decode(JsonNode node, SourceLocation location, List<ConfigProblem> problems) {
        if (node == null || node.isNull() || node.isMissingNode() || (node.isObject() && node.isEmpty())) {
            return new Ignored(location);
        }
        if (!node.isObject()) {
            problems.add(ConfigProblem.error(
                    location,
                    "",
                    "",
                    "a document must be a mapping (a Kubernetes resource), found " + node.getNodeType()));
            return new Refused(location, Optional.empty());
        }
        String apiVersion =
                node.path("apiVersion").isTextual() ? node.get("apiVersion").asText() : "";
        String kindName = node.path("kind").isTextual() ? node.get("kind").asText() : "";
        String name = node.path("metadata").path("name").isTextual()
                ? node.get("metadata").get("name").asText()
                : "";
        String writtenNamespace = node.path("metadata").path("namespace").isValueNode()
                ? node.get("metadata").get("namespace").asText()
                : "";
        String resource = describe(kindName, writtenNamespace, name);
        if (apiVersion.isEmpty() || kindName.isEmpty()) {
            problems.add(ConfigProblem.error(
                    location, resource, apiVersion.isEmpty() ? "apiVersion" : "kind", "required (a string)"));
            return new Refused(location, Optional.empty());
        }
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
        Optional<ResourceKind> found = ResourceKind.find(group, kindName);
        if (found.isEmpty()) {
            problems.add(ConfigProblem.warning(
                    location,
                    resource,
                    "kind",
                    kindName + " (" + apiVersion + ") is not read by istiod-lite; ignored"));
            return new Ignored(location);
        }
        ResourceKind kind = found.get();
        if (!kind.versions().contains(version)) {
            problems.add(ConfigProblem.error(
                    location,
                    resource,
                    "apiVersion",
                    "version " + version + " is not served for " + kind.qualifiedName() + " (served: "
                            + kind.versions().stream().sorted().collect(Collectors.joining(", ")) + ")"));
            return new Refused(location, Optional.empty());
        }
        if (name.isEmpty()) {
            problems.add(ConfigProblem.error(location, resource, "metadata.name", "required (a string)"));
            return new Refused(location, Optional.empty());
        }
        String namespace = kind.namespaced() ? (writtenNamespace.isEmpty() ? "default" : writtenNamespace) : "";
        ResourceKey key = new ResourceKey(kind, namespace, name);
        resource = key.toString();

        List<FieldIssue> issues = new ArrayList<>();
        unknownFields.check(node, kind.modelClass(), issues);
        HasMetadata object = null;
        try {
            object = mapper.treeToValue(node, kind.modelClass());
        } catch (JsonMappingException e) {
            issues.add(FieldIssue.error(pathOf(e), cleanMessage(e)));
        } catch (JsonProcessingException e) {
            issues.add(FieldIssue.error("", cleanMessage(e)));
        }
        if (object != null && issues.stream().noneMatch(FieldIssue::error)) {
            if (kind.namespaced()) {
                object.getMetadata().setNamespace(namespace);
            } else if (!writtenNamespace.isEmpty()) {
                issues.add(FieldIssue.warning(
                        "metadata.namespace", kind.kind() + " is cluster-scoped; the namespace is ignored"));
                object.getMetadata().setNamespace(null);
            }
            issues.addAll(ResourceValidator.validate(kind, object));
        }
        for (FieldIssue issue : issues) {
            problems.add(new ConfigProblem(
                    issue.error() ? ConfigProblem.Severity.ERROR : ConfigProblem.Severity.WARNING,
                    location,
                    resource,
                    issue.path(),
                    issue.reason()));
        }
        if (object == null || issues.stream().anyMatch(FieldIssue::error)) {
            return new Refused(location, Optional.of(key));
        }
        return new Accepted(new ConfigResource(key, object, location));
    }

    /** The YAML parser's own words without the source excerpt and caret lines it interleaves. */
    private static String syntaxMessage(String original) {
        return original.lines()
                .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
                .filter(line -> !line.startsWith("in 'reader'"))
                .collect(Collectors.joining("; "));
    }

    private static String describe(String kind, String namespace, String name) {
        String who = namespace.isEmpty() ? name : namespace + "/" + name;
        return (kind + " " + who).strip();
    }

    private static String pathOf(JsonMappingException e) {
        String path = "";
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                path = FieldIssue.child(path, reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path = FieldIssue.index(path, reference.getIndex());
            }
        }
        return path;
    }

    /** Jackson's message without its source excerpt and Java class names a YAML author cannot act on. */
    private static String cleanMessage(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        int newline = message.indexOf('\n');
        if (newline > 0) {
            message = message.substring(0, newline);
        }
        return message.replaceAll("`[a-z][\\w.]*\\.([A-Z]\\w*)`", "$1").replace("java.lang.", "");
    }
}
