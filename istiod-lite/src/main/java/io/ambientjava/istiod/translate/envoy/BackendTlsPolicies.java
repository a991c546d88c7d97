package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.BackendTLSPolicy;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.LocalObjectReference;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.SubjectAltName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Gateway API {@code BackendTLSPolicy}: TLS to the endpoints of the Services it targets (a {@code sectionName} narrows
 * it to the port of that name), as a cluster's transport socket. {@code validation.hostname} is sent as SNI and is
 * the name the server's certificate must carry, unless {@code subjectAltNames} lists others ({@code Hostname} → DNS,
 * {@code URI} → URI); the certificate is checked against the {@code ca.crt} of the {@code caCertificateRefs}
 * ConfigMaps in the policy's namespace, or the system's CAs for {@code wellKnownCACertificates: System}. When
 * several policies target one port the oldest wins, as the Gateway API resolves conflicts. A DestinationRule's own
 * {@code tls} for the cluster takes precedence; {@code options} are reported and ignored.
 */
final class BackendTlsPolicies {

    private final ConfigSnapshot snapshot;
    private final BiConsumer<ResourceKey, String> warnings;

    BackendTlsPolicies(ConfigSnapshot snapshot, BiConsumer<ResourceKey, String> warnings) {
        this.snapshot = snapshot;
        this.warnings = warnings;
    }

    /** The transport socket for a cluster of {@code service}'s port, if a policy targets it. */
    Optional<TransportSocket> forPort(MeshServices.MeshService service, MeshServices.MeshPort port, boolean http2) {
        return snapshot.all(ResourceKind.BACKEND_TLS_POLICY, BackendTLSPolicy.class).stream()
                .filter(p -> targets(p, service, port))
                .min(Comparator.comparing((BackendTLSPolicy p) ->
                                String.valueOf(p.getMetadata().getCreationTimestamp()))
                        .thenComparing(p -> p.getMetadata().getNamespace() + "/"
                                + p.getMetadata().getName()))
                .flatMap(p -> socket(p, http2, warnTo(p)));
    }

    private Consumer<String> warnTo(BackendTLSPolicy policy) {
        ResourceKey key = new ResourceKey(
                ResourceKind.BACKEND_TLS_POLICY,
                policy.getMetadata().getNamespace(),
                policy.getMetadata().getName());
        return message -> warnings.accept(key, message);
    }

    private static boolean targets(
            BackendTLSPolicy policy, MeshServices.MeshService service, MeshServices.MeshPort port) {
        if (policy.getSpec() == null
                || !service.namespace().equals(policy.getMetadata().getNamespace())) {
            return false;
        }
        return MeshServices.listOrEmpty(policy.getSpec().getTargetRefs()).stream()
                .anyMatch(t -> (t.getGroup() == null || t.getGroup().isEmpty())
                        && "Service".equals(t.getKind())
                        && service.name().equals(t.getName())
                        && (t.getSectionName() == null || t.getSectionName().equals(port.name())));
    }

    private Optional<TransportSocket> socket(BackendTLSPolicy policy, boolean http2, Consumer<String> warn) {
        var validation = policy.getSpec().getValidation();
        if (validation == null
                || validation.getHostname() == null
                || validation.getHostname().isBlank()) {
            warn.accept("validation.hostname is required; no TLS is originated");
            return Optional.empty();
        }
        if (policy.getSpec().getOptions() != null
                && !policy.getSpec().getOptions().isEmpty()) {
            warn.accept("options " + policy.getSpec().getOptions().keySet() + " are not supported; ignored");
        }
        CertificateValidationContext.Builder check = CertificateValidationContext.newBuilder();
        List<LocalObjectReference> refs = MeshServices.listOrEmpty(validation.getCaCertificateRefs());
        if ("System".equals(validation.getWellKnownCACertificates())) {
            check.setTrustedCa(DataSource.newBuilder().setFilename(UpstreamTlsSettings.SYSTEM_CA_BUNDLE));
        } else if (!refs.isEmpty()) {
            List<String> bundles = new ArrayList<>();
            for (LocalObjectReference ref : refs) {
                Optional<String> ca = (ref.getGroup() == null || ref.getGroup().isEmpty())
                                && "ConfigMap".equals(ref.getKind())
                        ? CaCertificateRefs.caOf(
                                snapshot, "ConfigMap", policy.getMetadata().getNamespace(), ref.getName())
                        : Optional.empty();
                if (ca.isEmpty() || !ca.get().contains("-----BEGIN CERTIFICATE-----")) {
                    warn.accept("caCertificateRefs " + ref.getKind() + " " + ref.getName()
                            + ": no ConfigMap with a PEM ca.crt; no TLS is originated");
                    return Optional.empty();
                }
                bundles.add(ca.get().strip() + "\n");
            }
            check.setTrustedCa(ListenerTranslator.inline(String.join("", bundles)));
        } else {
            warn.accept("validation needs caCertificateRefs or wellKnownCACertificates: System; no TLS is originated");
            return Optional.empty();
        }
        List<SubjectAltName> names = MeshServices.listOrEmpty(validation.getSubjectAltNames());
        if (names.isEmpty()) {
            check.addMatchTypedSubjectAltNames(name(SubjectAltNameMatcher.SanType.DNS, validation.getHostname()));
        }
        for (SubjectAltName name : names) {
            if ("URI".equals(name.getType()) && name.getUri() != null) {
                check.addMatchTypedSubjectAltNames(name(SubjectAltNameMatcher.SanType.URI, name.getUri()));
            } else if ("Hostname".equals(name.getType()) && name.getHostname() != null) {
                check.addMatchTypedSubjectAltNames(name(SubjectAltNameMatcher.SanType.DNS, name.getHostname()));
            } else {
                warn.accept("subjectAltNames entry of type '" + name.getType() + "' without its value; left out");
            }
        }
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder().setValidationContext(check);
        if (http2) {
            common.addAlpnProtocols("h2");
        }
        return Optional.of(TransportSocket.newBuilder()
                .setName(EnvoyNames.TLS_TRANSPORT_SOCKET)
                .setTypedConfig(Any.pack(UpstreamTlsContext.newBuilder()
                        .setSni(validation.getHostname())
                        .setCommonTlsContext(common)
                        .build()))
                .build());
    }

    private static SubjectAltNameMatcher name(SubjectAltNameMatcher.SanType type, String value) {
        return SubjectAltNameMatcher.newBuilder()
                .setSanType(type)
                .setMatcher(StringMatcher.newBuilder().setExact(value))
                .build();
    }
}
