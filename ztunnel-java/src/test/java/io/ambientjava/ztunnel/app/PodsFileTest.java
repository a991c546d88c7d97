package io.ambientjava.ztunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodsFileTest {

    @TempDir
    Path dir;

    @Test
    void parsesPodsSkippingCommentsAndBlankLines() throws Exception {
        Map<String, PodSpec> pods = PodsFile.parse(
                "pods", "# node1\n\nKubernetes//Pod/default/a  /var/run/netns/a\n  b\t/proc/42/ns/net  \n");
        assertThat(pods.values())
                .containsExactly(
                        new PodSpec("Kubernetes//Pod/default/a", Path.of("/var/run/netns/a")),
                        new PodSpec("b", Path.of("/proc/42/ns/net")));
    }

    @Test
    void badLinesNameFileAndLine() {
        assertThatThrownBy(() -> PodsFile.parse("p.txt", "a /x\na /y\n"))
                .isInstanceOf(StartupException.class)
                .hasMessage("p.txt:2: pod a is listed twice");
        assertThatThrownBy(() -> PodsFile.parse("p.txt", "a /x extra\n"))
                .hasMessage("p.txt:1: expected '<uid> <netns-path>' but found 'a /x extra'");
        assertThatThrownBy(() -> PodsFile.read(dir.resolve("none.txt")))
                .hasMessage("pods file " + dir.resolve("none.txt") + " does not exist");
    }

    @Test
    void podSpecsFromTheCommandLine() {
        assertThat(PodSpec.parse("Kubernetes//Pod/default/a=/var/run/netns/a"))
                .isEqualTo(new PodSpec("Kubernetes//Pod/default/a", Path.of("/var/run/netns/a")));
        assertThat(PodSpec.parse("a=/odd=path")).isEqualTo(new PodSpec("a", Path.of("/odd=path")));
        assertThatThrownBy(() -> PodSpec.parse("=/x")).hasMessage("'=/x' is not UID=NETNS_PATH");
        assertThatThrownBy(() -> PodSpec.parse("a=")).hasMessage("'a=' is not UID=NETNS_PATH");
    }

    @Test
    void durations() {
        assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationConverter.parse("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(DurationConverter.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationConverter.parse("PT0.25S")).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> DurationConverter.parse("-PT1S")).hasMessage("'-PT1S' is negative");
    }

    @Test
    void watcherAppliesTheDifference() throws IOException {
        Path file = Files.writeString(dir.resolve("pods.txt"), "a /ns/a\nb /ns/b\n");
        List<String> events = new ArrayList<>();
        PodsFileWatcher.PodSink sink = new PodsFileWatcher.PodSink() {
            @Override
            public void add(PodSpec pod) {
                events.add("add " + pod.uid() + " " + pod.netns());
            }

            @Override
            public void remove(String uid) {
                events.add("remove " + uid);
            }
        };
        try (PodsFileWatcher watcher = new PodsFileWatcher(
                file,
                Map.of("a", new PodSpec("a", Path.of("/ns/a")), "b", new PodSpec("b", Path.of("/ns/b"))),
                sink,
                Duration.ofHours(1))) {
            watcher.check();
            assertThat(events).as("unchanged file").isEmpty();

            Files.writeString(file, "# b moved, c new, a gone\nb /ns/b2\nc /ns/c\n");
            watcher.check();
            assertThat(events).containsExactly("remove a", "remove b", "add b /ns/b2", "add c /ns/c");

            events.clear();
            Files.writeString(file, "b /ns/b2\nbroken line here\n");
            watcher.check();
            assertThat(events).as("a bad file changes nothing").isEmpty();

            Files.writeString(file, "b /ns/b2\n");
            watcher.check();
            assertThat(events).containsExactly("remove c");
        }
    }
}
