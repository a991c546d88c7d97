package io.ambientjava.perf.proc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class JvmCommandTest {

    @Test
    void variablesGoBeforeJavaThroughEnvAndTheRestAfterIt() {
        assertThat(JvmCommand.start("/jdk/bin/java", List.of("-Xmx48m", "MALLOC_ARENA_MAX=2", "-Da=b=c", "X_1=y")))
                .containsExactly("env", "MALLOC_ARENA_MAX=2", "X_1=y", "/jdk/bin/java", "-Xmx48m", "-Da=b=c");
    }

    @Test
    void withoutVariablesJavaComesFirst() {
        assertThat(JvmCommand.start("/jdk/bin/java", List.of("-Xmx48m"))).containsExactly("/jdk/bin/java", "-Xmx48m");
        assertThat(JvmCommand.start(List.of()).getFirst())
                .isEqualTo(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString());
    }
}
