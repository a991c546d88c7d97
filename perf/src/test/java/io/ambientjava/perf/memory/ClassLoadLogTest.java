package io.ambientjava.perf.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassLoadLogTest {

    @Test
    void namesComeOnceInLoadOrderWithoutHiddenClasses() {
        List<String> lines = List.of(
                "[0.060s][info][class,load] java.lang.Object source: shared objects file",
                "[0.812s][info][class,load] io.netty.channel.Channel source: jar:file:/w/waypoint.jar!/",
                "[0.900s][info][class,load] io.ambientjava.waypoint.Main$$Lambda/0x000001000104a000 source:"
                        + " io.ambientjava.waypoint.Main",
                "[0.901s][info][class,load] java.lang.invoke.LambdaForm$MH/0x0000010001050400 source: __JVM_LambdaForm__",
                "[0.902s][info][class,load] jdk.internal.reflect.GeneratedConstructorAccessor1 source: __JVM__",
                "[0.903s][info][class,load] jdk.proxy1.$Proxy12 source: __Proxy__",
                "[0.950s][info][gc] GC(0) Pause Young (Allocation Failure) 3M->1M(16M) 1.2ms",
                "[1.000s][info][class,load] io.netty.channel.Channel source: jar:file:/w/waypoint.jar!/",
                "[1.001s][info][class,load] com.google.protobuf.Any");

        assertThat(ClassLoadLog.parse(lines, "x.log").classNames())
                .containsExactly("java.lang.Object", "io.netty.channel.Channel", "com.google.protobuf.Any");
    }

    @Test
    void aFileWithoutClassLoadLinesIsRefusedWithHowToRecordIt() {
        assertThatThrownBy(() -> ClassLoadLog.parse(List.of("[0.1s][info][gc] Using Serial"), "/tmp/w.log"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/tmp/w.log has no [class,load] line")
                .hasMessageContaining("-Xlog:class+load:file=/tmp/w.log");
    }
}
