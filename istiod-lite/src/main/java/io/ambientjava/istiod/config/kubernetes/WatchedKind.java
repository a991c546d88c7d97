package io.ambientjava.istiod.config.kubernetes;

import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A resource kind as the Kubernetes API serves it: the version istiod-lite lists and watches, and the plural that
 * names it in API paths.
 */
public record WatchedKind(ResourceKind kind, String version, String plural) {

    public WatchedKind {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(plural, "plural");
        if (!kind.versions().contains(version)) {
            throw new IllegalArgumentException(kind.qualifiedName() + " is not read at version " + version);
        }
    }

    /** Every kind istiod-lite reads, each at the newest version it accepts. */
    public static List<WatchedKind> all() {
        return Arrays.stream(ResourceKind.values()).map(WatchedKind::newest).toList();
    }

    /** The kind at its newest accepted version ({@code v1} before {@code v1beta1} before {@code v1alpha3}). */
    public static WatchedKind newest(ResourceKind kind) {
        String version = kind.versions().stream()
                .min((a, b) -> Integer.compare(stability(a), stability(b)))
                .orElseThrow();
        return new WatchedKind(kind, version, pluralOf(kind.kind()));
    }

    /** Lower is newer: GA, then beta, then alpha. */
    private static int stability(String version) {
        if (version.contains("alpha")) {
            return 2;
        }
        return version.contains("beta") ? 1 : 0;
    }

    /** The lower-case plural Kubernetes derives from a kind name ({@code ServiceEntry} → {@code serviceentries}). */
    static String pluralOf(String kind) {
        String lower = kind.toLowerCase(Locale.ROOT);
        if (lower.endsWith("y") && lower.length() > 1 && "aeiou".indexOf(lower.charAt(lower.length() - 2)) < 0) {
            return lower.substring(0, lower.length() - 1) + "ies";
        }
        if (lower.endsWith("s")) {
            return lower + "es";
        }
        return lower + "s";
    }

    /**
     * Secret types never read, as Istio leaves them out of its Secret watch: Helm's release records and service
     * account tokens. Every other Secret may be a gateway credential ({@code kubernetes.io/tls}, or a generic one
     * with {@code tls.crt}/{@code tls.key}/{@code ca.crt} or {@code cert}/{@code key}/{@code cacert}, as Istio's
     * MUTUAL how-to creates them).
     */
    static final List<String> UNREAD_SECRET_TYPES =
            List.of("helm.sh/release.v1", "kubernetes.io/service-account-token");

    /** The field values this kind is listed and watched without, as field → values ({@code type!=...}). */
    public Map<String, List<String>> excludedFields() {
        return kind == ResourceKind.SECRET ? Map.of("type", UNREAD_SECRET_TYPES) : Map.of();
    }

    /** Whether an object passes {@link #excludedFields()}: an API server that ignores the selector is held to it. */
    public boolean selects(GenericKubernetesResource object) {
        for (Map.Entry<String, List<String>> excluded : excludedFields().entrySet()) {
            if (excluded.getValue().contains(object.getAdditionalProperties().get(excluded.getKey()))) {
                return false;
            }
        }
        return true;
    }

    public String apiVersion() {
        return kind.group().isEmpty() ? version : kind.group() + "/" + version;
    }

    /** {@code /api/v1/pods} or {@code /apis/networking.istio.io/v1/virtualservices}: what is listed and watched. */
    public String listPath() {
        return (kind.group().isEmpty() ? "/api/" : "/apis/") + apiVersion() + "/" + plural;
    }

    /** The API path of one object; {@code namespace} is ignored for cluster-scoped kinds. */
    public String objectPath(String namespace, String name) {
        String prefix = (kind.group().isEmpty() ? "/api/" : "/apis/") + apiVersion();
        return kind.namespaced()
                ? prefix + "/namespaces/" + namespace + "/" + plural + "/" + name
                : prefix + "/" + plural + "/" + name;
    }

    /** What fabric8's generic resource API needs to reach this kind. */
    public ResourceDefinitionContext context() {
        return new ResourceDefinitionContext.Builder()
                .withGroup(kind.group())
                .withVersion(version)
                .withKind(kind.kind())
                .withPlural(plural)
                .withNamespaced(kind.namespaced())
                .build();
    }
}
