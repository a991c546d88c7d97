package io.ambientjava.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class WaypointTemplateTest {

    private static final WaypointTemplate TEMPLATE = new WaypointTemplate(new WaypointTemplate.Settings(
            WaypointTemplate.DEFAULT_IMAGE, "istiod.istio-system.svc:15012", "cluster.local", "cluster.local"));

    private static Gateway gateway(String waypointFor) {
        var builder = new GatewayBuilder()
                .withNewMetadata()
                .withName("waypoint")
                .withNamespace("shop")
                .withUid("5f0c7f4e-0000-4000-8000-000000000001")
                .endMetadata()
                .withNewSpec()
                .withGatewayClassName("istio-waypoint")
                .addNewListener()
                .withName("mesh")
                .withPort(15008)
                .withProtocol("HBONE")
                .endListener()
                .endSpec();
        if (waypointFor != null) {
            builder.editMetadata()
                    .addToLabels("istio.io/waypoint-for", waypointFor)
                    .endMetadata();
        }
        return builder.build();
    }

    /** The default image's tag is the project's version: the constant must follow the pom. */
    @Test
    void theDefaultImageIsTaggedWithThePomsVersion() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher parent = Pattern.compile("<parent>.*?<version>([^<]+)</version>.*?</parent>", Pattern.DOTALL)
                .matcher(pom);
        assertThat(parent.find())
                .as("istiod-lite/pom.xml names its parent's version")
                .isTrue();
        assertThat(WaypointTemplate.PROJECT_VERSION).isEqualTo(parent.group(1));
        assertThat(WaypointTemplate.DEFAULT_IMAGE).isEqualTo("ambient-java/waypoint:" + parent.group(1));
    }

    @Test
    void theTemplateHashIsStableAndFollowsWhatIsRendered() {
        String first = TEMPLATE.render(gateway("service"))
                .deployment()
                .getMetadata()
                .getAnnotations()
                .get(WaypointTemplate.TEMPLATE_HASH_ANNOTATION);
        String again = TEMPLATE.render(gateway("service"))
                .deployment()
                .getMetadata()
                .getAnnotations()
                .get(WaypointTemplate.TEMPLATE_HASH_ANNOTATION);
        assertThat(first).hasSize(16).isEqualTo(again);
        assertThat(TEMPLATE.render(gateway("all"))
                        .deployment()
                        .getMetadata()
                        .getAnnotations()
                        .get(WaypointTemplate.TEMPLATE_HASH_ANNOTATION))
                .isNotEqualTo(first);
        WaypointTemplate otherImage = new WaypointTemplate(new WaypointTemplate.Settings(
                "ambient-java/waypoint:dev", "istiod.istio-system.svc:15012", "cluster.local", "cluster.local"));
        assertThat(otherImage
                        .render(gateway("service"))
                        .deployment()
                        .getMetadata()
                        .getAnnotations()
                        .get(WaypointTemplate.TEMPLATE_HASH_ANNOTATION))
                .isNotEqualTo(first);
    }

    @Test
    void theWaypointForLabelIsCopiedOnlyWhenTheGatewayHasIt() {
        assertThat(TEMPLATE.render(gateway(null)).service().getMetadata().getLabels())
                .doesNotContainKey("istio.io/waypoint-for")
                .containsEntry("gateway.istio.io/managed", "istio.io-mesh-controller");
        assertThat(TEMPLATE.render(gateway("workload"))
                        .serviceAccount()
                        .getMetadata()
                        .getLabels())
                .containsEntry("istio.io/waypoint-for", "workload");
        // the pod template does not carry it: changing it does not restart the waypoint
        assertThat(TEMPLATE.render(gateway("workload"))
                        .deployment()
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getLabels())
                .doesNotContainKey("istio.io/waypoint-for");
    }

    @Test
    void theJvmOptionsFitTheMemoryLimit() {
        // heap 256m + metaspace 80m + code cache 32m + direct 24m leave room for threads and the C heap in 512Mi
        assertThat(WaypointTemplate.JAVA_TOOL_OPTIONS)
                .contains("-Xmx256m", "-XX:MaxMetaspaceSize=80m", "-XX:ReservedCodeCacheSize=32m")
                .contains("-XX:MaxDirectMemorySize=24m", "-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void theJvmAcceptsTheOptionsAndSizesTheYoungGenerationForRequestsInFlight() throws Exception {
        // JAVA_TOOL_OPTIONS is read by the JVM itself: an option this JDK refuses would stop the waypoint's pod
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder =
                new ProcessBuilder(java.toString(), "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true);
        builder.environment().put("JAVA_TOOL_OPTIONS", WaypointTemplate.JAVA_TOOL_OPTIONS);
        Process withOptions = builder.start();
        String flags = new String(withOptions.getInputStream().readAllBytes());
        assertThat(withOptions.waitFor()).as(flags).isZero();

        assertThat(flag(flags, "NewSize")).isEqualTo(6L << 20);
        assertThat(flag(flags, "SurvivorRatio")).isEqualTo(2L);
        assertThat(flag(flags, "TargetSurvivorRatio")).isEqualTo(90L);
        assertThat(flag(flags, "UseSerialGC")).isEqualTo(1L);
    }

    private static long flag(String printFlagsFinal, String name) {
        Matcher m = Pattern.compile("\\s" + name + "\\s+=\\s+(\\S+)").matcher(printFlagsFinal);
        assertThat(m.find()).as(name + " in -XX:+PrintFlagsFinal").isTrue();
        String value = m.group(1);
        return switch (value) {
            case "true" -> 1L;
            case "false" -> 0L;
            default -> Long.parseLong(value);
        };
    }
}
