package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.yaml.ResourceFileParser;
import io.ambientjava.meshctl.MeshctlException;
import io.ambientjava.meshctl.analyze.Analyzer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The resources of {@code -f FILE|DIR|-} arguments, read and checked by istiod-lite's own parser and validator (the
 * same {@link ResourceFileParser} {@code meshctl analyze} and istiod-lite's folder source use): each accepted
 * resource with its key and its document as written, and every problem found.
 */
public record ManifestSet(Map<ResourceKey, ObjectNode> resources, List<ConfigProblem> problems, List<String> skipped) {

    /** Reads every input; {@code stdin} is what {@code -} means. */
    public static ManifestSet read(List<Path> inputs, Supplier<InputStream> stdin) {
        if (inputs.isEmpty()) {
            throw new MeshctlException("-f FILE|DIR is required (a YAML file, a folder, or - for standard input)");
        }
        ResourceFileParser parser = new ResourceFileParser();
        YAMLMapper yaml = new YAMLMapper();
        Map<ResourceKey, ObjectNode> resources = new LinkedHashMap<>();
        List<ConfigProblem> problems = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Path input : inputs) {
            for (Path file : Analyzer.expand(input)) {
                String text = text(file, stdin);
                ResourceFileParser.ParsedFile parsed = parser.parse(file, text);
                problems.addAll(parsed.problems());
                List<JsonNode> documents = documents(yaml, text);
                for (ResourceFileParser.Outcome outcome : parsed.outcomes()) {
                    switch (outcome) {
                        case ResourceFileParser.Accepted accepted -> {
                            int index = accepted.location().document() - 1;
                            if (index < documents.size() && documents.get(index) instanceof ObjectNode document) {
                                resources.put(accepted.resource().key(), document);
                            }
                        }
                        case ResourceFileParser.Ignored ignored -> {
                            int index = ignored.location().document() - 1;
                            if (index < documents.size()
                                    && documents.get(index) instanceof ObjectNode document
                                    && !document.isEmpty()) {
                                skipped.add(ignored.location() + ": "
                                        + document.path("kind").asText("?") + " "
                                        + document.path("metadata").path("name").asText("?")
                                        + " skipped (the local mesh does not use this kind)");
                            }
                        }
                        case ResourceFileParser.Refused refused -> {}
                    }
                }
            }
        }
        return new ManifestSet(resources, problems, skipped);
    }

    /**
     * The keys the inputs name, for {@code delete -f}: those of valid documents and of documents refused for their
     * content but whose kind and name are readable.
     */
    public static List<ResourceKey> keys(List<Path> inputs, Supplier<InputStream> stdin) {
        ResourceFileParser parser = new ResourceFileParser();
        List<ResourceKey> keys = new ArrayList<>();
        for (Path input : inputs) {
            for (Path file : Analyzer.expand(input)) {
                ResourceFileParser.ParsedFile parsed = parser.parse(file, text(file, stdin));
                if (!parsed.complete()) {
                    throw new MeshctlException(parsed.problems().getLast().message());
                }
                for (ResourceFileParser.Outcome outcome : parsed.outcomes()) {
                    switch (outcome) {
                        case ResourceFileParser.Accepted accepted ->
                            keys.add(accepted.resource().key());
                        case ResourceFileParser.Refused refused -> refused.key().ifPresent(keys::add);
                        case ResourceFileParser.Ignored ignored -> {}
                    }
                }
            }
        }
        return keys;
    }

    public long errors() {
        return problems.stream().filter(ConfigProblem::isError).count();
    }

    /** kubectl's name for a resource: {@code service/web}, {@code virtualservice.networking.istio.io/reviews}. */
    public static String displayName(ResourceKey key) {
        ResourceKind kind = key.kind();
        String type =
                kind.kind().toLowerCase(java.util.Locale.ROOT) + (kind.group().isEmpty() ? "" : "." + kind.group());
        return type + "/" + key.name();
    }

    private static String text(Path file, Supplier<InputStream> stdin) {
        try {
            return file.equals(Analyzer.STDIN)
                    ? new String(stdin.get().readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(file);
        } catch (IOException e) {
            throw new MeshctlException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static List<JsonNode> documents(YAMLMapper yaml, String text) {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> iterator = yaml.readerFor(JsonNode.class).readValues(text)) {
            while (iterator.hasNextValue()) {
                documents.add(iterator.nextValue());
            }
        } catch (IOException e) {
            // The parser reported the syntax error; the documents before it still count.
        }
        return documents;
    }
}
