package io.ambientjava.istiod.translate;

import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.IpPrefix;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Addresses for ServiceEntry hosts that declare none, as Istio's IP auto-allocation gives them. */
class ServiceEntryAddressesTest {

    private static final MeshSettings SETTINGS = MeshSettings.defaults()
            .withAutoAllocateRange(Optional.of(IpPrefix.parse("198.19.254.0/24").orElseThrow()));

    private static String entry(String name, String created, String hosts, String extra) {
        return """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: %s, namespace: shop, creationTimestamp: "%s"%s}
                spec:
                  hosts: %s
                  ports: [{number: 443, name: https, protocol: TLS}]
                  resolution: DNS
                """.formatted(name, created, extra, hosts);
    }

    private static List<String> addressOf(ConfigSnapshot snapshot, MeshSettings settings, String name, String host) {
        ServiceEntry entry = snapshot.get(ResourceKind.SERVICE_ENTRY, "shop", name, ServiceEntry.class)
                .orElseThrow();
        return ServiceEntryAddresses.of(snapshot, settings).of(entry, host);
    }

    @Test
    void eachHostGetsItsOwnAddressInTheRangeTheSameEveryTime() {
        ConfigSnapshot one = snapshot(entry("apis", "2026-11-01T00:00:00Z", "[a.external.test, b.external.test]", ""));
        List<String> a = addressOf(one, SETTINGS, "apis", "a.external.test");
        List<String> b = addressOf(one, SETTINGS, "apis", "b.external.test");

        assertThat(a).singleElement().asString().startsWith("198.19.254.").isNotEqualTo("198.19.254.0");
        assertThat(b).singleElement().asString().startsWith("198.19.254.").isNotEqualTo("198.19.254.255");
        assertThat(a).isNotEqualTo(b);
        assertThat(addressOf(one, SETTINGS, "apis", "a.external.test")).isEqualTo(a);

        ConfigSnapshot more = snapshot(join(
                entry("apis", "2026-11-01T00:00:00Z", "[a.external.test, b.external.test]", ""),
                entry("newer", "2026-11-02T00:00:00Z", "[c.external.test, d.external.test, e.external.test]", "")));
        assertThat(addressOf(more, SETTINGS, "apis", "a.external.test"))
                .as("a newer entry never moves an older one's address")
                .isEqualTo(a);
        assertThat(addressOf(more, SETTINGS, "apis", "b.external.test")).isEqualTo(b);
        assertThat(addressOf(more, SETTINGS, "newer", "c.external.test")).doesNotContainAnyElementsOf(a);
    }

    @Test
    void declaredAddressesOptedOutEntriesWildcardsAndResolutionNoneGetNone() {
        ConfigSnapshot snapshot = snapshot(join(
                entry("declared", "2026-11-01T00:00:00Z", "[a.external.test]", "")
                        .replace("  resolution: DNS", "  resolution: DNS\n  addresses: [198.19.3.3]"),
                entry(
                        "opted-out",
                        "2026-11-01T00:00:00Z",
                        "[b.external.test]",
                        ", labels: {networking.istio.io/enable-autoallocate-ip: \"false\"}"),
                entry("wild", "2026-11-01T00:00:00Z", "[\"*.external.test\"]", ""),
                entry("none", "2026-11-01T00:00:00Z", "[d.external.test]", "")
                        .replace("resolution: DNS", "resolution: NONE")));

        assertThat(addressOf(snapshot, SETTINGS, "declared", "a.external.test")).containsExactly("198.19.3.3");
        assertThat(addressOf(snapshot, SETTINGS, "opted-out", "b.external.test"))
                .isEmpty();
        assertThat(addressOf(snapshot, SETTINGS, "wild", "*.external.test")).isEmpty();
        assertThat(addressOf(snapshot, SETTINGS, "none", "d.external.test")).isEmpty();
        assertThat(addressOf(
                        snapshot(entry("apis", "2026-11-01T00:00:00Z", "[a.external.test]", "")),
                        SETTINGS.withAutoAllocateRange(Optional.empty()),
                        "apis",
                        "a.external.test"))
                .as("auto-allocation off")
                .isEmpty();
    }

    @Test
    void anAddressIstiosControllerWroteToTheStatusIsKept() {
        ConfigSnapshot snapshot = snapshot(entry("apis", "2026-11-01T00:00:00Z", "[a.external.test]", "")
                + "status:\n  addresses: [{host: a.external.test, value: 198.19.254.77}]\n");

        assertThat(addressOf(snapshot, SETTINGS, "apis", "a.external.test")).containsExactly("198.19.254.77");
    }

    @Test
    void aFullRangeLeavesTheRestWithoutAddress() {
        MeshSettings tiny = SETTINGS.withAutoAllocateRange(IpPrefix.parse("198.19.254.0/30"));
        ConfigSnapshot snapshot = snapshot(
                entry("apis", "2026-11-01T00:00:00Z", "[a.external.test, b.external.test, c.external.test]", ""));

        List<String> all = List.of("a.external.test", "b.external.test", "c.external.test").stream()
                .flatMap(h -> addressOf(snapshot, tiny, "apis", h).stream())
                .toList();
        assertThat(all).containsExactlyInAnyOrder("198.19.254.1", "198.19.254.2");
    }
}
