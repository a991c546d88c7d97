package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps protobuf's reflection tables out of the waypoint: each call below builds, for the message type it meets, a
 * {@code java.lang.reflect.Method} for every public method of the message and its builder, kept for the life of
 * the process (15,500 of them and ~4 MiB of metaspace before {@link ProtoTypes} replaced them). Use
 * {@link ProtoTypes} for descriptors and {@code Any}s, and {@link FieldGuard} to see which fields are set.
 */
class NoProtobufReflectionTest {

    private static final List<Pattern> FORBIDDEN = List.of(
            Pattern.compile("\\.getDescriptorForType\\(\\)"),
            Pattern.compile("\\.getAllFields\\(\\)"),
            Pattern.compile("\\.(unpack|is)\\(\\s*[\\w.]+\\.class\\s*\\)"), // Any.unpack / Any.is
            Pattern.compile("\\b(JsonFormat|TextFormat)\\."));

    @Test
    void theWaypointsSourcesMakeNoCallThatBuildsAReflectionTable() throws IOException {
        Path sources = Path.of("src/main/java");
        assertThat(sources).as("run from the waypoint module").isDirectory();
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    if (line.trim().startsWith("*") || line.trim().startsWith("//")) {
                        continue;
                    }
                    for (Pattern p : FORBIDDEN) {
                        if (p.matcher(line).find()) {
                            offenders.add(sources.relativize(file) + ":" + (i + 1) + ": " + line.trim());
                        }
                    }
                }
            }
        }
        assertThat(offenders).as("use ProtoTypes / FieldGuard instead").isEmpty();
    }

    @Test
    void thePatternsCatchTheCallsTheyAreFor() {
        List<String> calls = List.of(
                "Descriptor d = message.getDescriptorForType();",
                "var fields = m.getAllFields();",
                "Listener l = any.unpack(Listener.class);",
                "if (any.is(io.envoyproxy.envoy.config.route.v3.RouteMatch.class)) {",
                "String text = TextFormat.printer().printToString(m);");
        for (String call : calls) {
            assertThat(FORBIDDEN.stream().anyMatch(p -> p.matcher(call).find()))
                    .as(call)
                    .isTrue();
        }
        assertThat(FORBIDDEN.stream()
                        .anyMatch(p -> p.matcher("ProtoTypes.unpack(any, Listener.class)")
                                .find()))
                .isFalse();
    }
}
