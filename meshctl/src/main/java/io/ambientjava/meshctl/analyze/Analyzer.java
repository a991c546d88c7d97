package io.ambientjava.meshctl.analyze;

import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.yaml.ResourceFileParser;
import io.ambientjava.istiod.config.yaml.ResourceFileParser.ParsedFile;
import io.ambientjava.istiod.translate.AmbientTranslator;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.translate.TranslationWarning;
import io.ambientjava.meshctl.MeshctlException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Validates YAML files exactly as istiod-lite would read them (its {@link ResourceFileParser}: structure, unknown
 * fields, served versions, semantic checks), plus what only shows across files: a resource defined twice.
 */
public final class Analyzer {

    /** The input name that means standard input, as with kubectl. */
    public static final Path STDIN = Path.of("-");

    private final ResourceFileParser parser = new ResourceFileParser();
    private final java.util.function.Supplier<java.io.InputStream> stdin;

    public Analyzer() {
        this(() -> System.in);
    }

    /** @param stdin what {@code -} reads */
    public Analyzer(java.util.function.Supplier<java.io.InputStream> stdin) {
        this.stdin = stdin;
    }

    /** What was found in all the inputs. */
    public record Report(int files, int resources, List<ConfigProblem> problems) {
        public Report {
            problems = List.copyOf(problems);
        }

        public long errors() {
            return problems.stream().filter(ConfigProblem::isError).count();
        }

        public long warnings() {
            return problems.size() - errors();
        }
    }

    /**
     * @param inputs files, or folders read recursively for {@code *.yaml} and {@code *.yml} (dot-names skipped), or
     *     {@code -} for standard input
     */
    public Report analyze(List<Path> inputs) {
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            files.addAll(expand(input));
        }
        List<ConfigProblem> problems = new ArrayList<>();
        Map<ResourceKey, ConfigResource> seen = new LinkedHashMap<>();
        int resources = 0;
        for (Path file : files) {
            String text;
            try {
                text = file.equals(STDIN)
                        ? new String(stdin.get().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                        : Files.readString(file);
            } catch (IOException e) {
                throw new MeshctlException(file + ": cannot read: " + e.getMessage(), e);
            }
            ParsedFile parsed = parser.parse(file, text);
            problems.addAll(parsed.problems());
            for (ConfigResource resource : parsed.accepted()) {
                resources++;
                ConfigResource earlier = seen.put(resource.key(), resource);
                if (earlier != null) {
                    problems.add(ConfigProblem.warning(
                            resource.location(),
                            resource.key().toString(),
                            "metadata.name",
                            "also defined in " + earlier.location() + "; the later definition wins"));
                }
            }
        }
        problems.addAll(securityWarnings(seen));
        return new Report(files.size(), resources, problems);
    }

    /**
     * What istiod-lite's translation reports about AuthorizationPolicies and RequestAuthentications across the inputs,
     * such as an L7 rule whose workloads no waypoint serves (enforced stricter than written, or not at all).
     */
    private static List<ConfigProblem> securityWarnings(Map<ResourceKey, ConfigResource> resources) {
        io.ambientjava.istiod.translate.AmbientTranslation translation;
        try {
            translation =
                    new AmbientTranslator(MeshSettings.defaults()).translate(ConfigSnapshot.of(0, resources.values()));
        } catch (RuntimeException e) {
            // validation already said what it could; say that the translation's view is missing, and why
            return resources.values().stream()
                    .findFirst()
                    .map(first -> List.of(ConfigProblem.warning(
                            first.location(), "", "", "istiod-lite's translation of these inputs failed: " + e)))
                    .orElse(List.of());
        }
        List<ConfigProblem> warnings = new ArrayList<>();
        for (TranslationWarning warning : translation.warnings()) {
            ResourceKind kind = warning.resource().kind();
            ConfigResource resource = resources.get(warning.resource());
            if (resource != null
                    && (kind == ResourceKind.AUTHORIZATION_POLICY || kind == ResourceKind.REQUEST_AUTHENTICATION)) {
                warnings.add(ConfigProblem.warning(
                        resource.location(), warning.resource().toString(), "", warning.message()));
            }
        }
        return warnings;
    }

    /** A file as is, a folder as its YAML files (recursively, dot-names skipped), {@code -} as is. */
    public static List<Path> expand(Path input) {
        if (input.equals(STDIN) || Files.isRegularFile(input)) {
            return List.of(input);
        }
        if (!Files.isDirectory(input)) {
            throw new MeshctlException(input + ": no such file or directory");
        }
        try (Stream<Path> walk = Files.walk(input)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> isYaml(input.relativize(p)))
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new MeshctlException(input + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static boolean isYaml(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return false;
            }
        }
        String name = relative.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }
}
