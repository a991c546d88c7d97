package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.FrontendTLSValidation;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ObjectReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Gateway API Gateway's client certificate validation for one HTTPS port ({@code spec.tls.frontend}: the port's
 * {@code perPort} entry, else {@code default}): the CA certificates of its {@code caCertificateRefs} (the
 * {@code ca.crt} of a ConfigMap, as the Gateway API's core support says, or of a Secret), and its {@code mode}:
 * {@code AllowValidOnly} (the default) refuses clients without a valid certificate, {@code AllowInsecureFallback}
 * checks a certificate only when one is sent. A reference to another namespace needs a ReferenceGrant there.
 */
final class FrontendValidation {

    /** The CA bundle (PEM, every reference's certificates) and whether a client certificate is required. */
    record ClientCa(String caPem, boolean required) {}

    private FrontendValidation() {}

    /**
     * Empty when the port validates no client certificate.
     *
     * @throws IllegalArgumentException when it asks for validation that cannot be honoured (the reason): the port is
     *     then not served rather than admit clients it should refuse
     */
    static Optional<ClientCa> forPort(Gateway gateway, int port, ConfigSnapshot snapshot) {
        var tls = gateway.getSpec().getTls();
        var frontend = tls == null ? null : tls.getFrontend();
        if (frontend == null) {
            return Optional.empty();
        }
        FrontendTLSValidation validation =
                frontend.getDefault() == null ? null : frontend.getDefault().getValidation();
        for (var perPort : MeshServices.listOrEmpty(frontend.getPerPort())) {
            if (perPort.getPort() != null && perPort.getPort() == port) {
                validation = perPort.getTls() == null ? null : perPort.getTls().getValidation();
            }
        }
        if (validation == null) {
            return Optional.empty();
        }
        String mode = validation.getMode() == null ? "AllowValidOnly" : validation.getMode();
        if (!mode.equals("AllowValidOnly") && !mode.equals("AllowInsecureFallback")) {
            throw new IllegalArgumentException(
                    "validation mode '" + mode + "' is neither AllowValidOnly nor AllowInsecureFallback");
        }
        List<ObjectReference> refs = MeshServices.listOrEmpty(validation.getCaCertificateRefs());
        if (refs.isEmpty()) {
            throw new IllegalArgumentException("client certificate validation without caCertificateRefs");
        }
        String namespace = gateway.getMetadata().getNamespace();
        List<String> bundles = new ArrayList<>();
        for (ObjectReference ref : refs) {
            bundles.add(caOf(ref, namespace, snapshot));
        }
        return Optional.of(new ClientCa(String.join("\n", bundles), mode.equals("AllowValidOnly")));
    }

    private static String caOf(ObjectReference ref, String gatewayNamespace, ConfigSnapshot snapshot) {
        String kind = ref.getKind() == null ? "" : ref.getKind();
        String group = ref.getGroup() == null ? "" : ref.getGroup();
        String namespace =
                ref.getNamespace() == null || ref.getNamespace().isEmpty() ? gatewayNamespace : ref.getNamespace();
        String what = kind + " " + namespace + "/" + ref.getName();
        if (!group.isEmpty() || (!kind.equals("ConfigMap") && !kind.equals("Secret"))) {
            throw new IllegalArgumentException("caCertificateRefs to " + (group.isEmpty() ? "" : group + "/") + kind
                    + " are not supported; only core ConfigMaps and Secrets");
        }
        if (!namespace.equals(gatewayNamespace)
                && !ReferenceGrants.allow(snapshot, "Gateway", gatewayNamespace, kind, namespace, ref.getName())) {
            throw new IllegalArgumentException(what + " is in another namespace and no ReferenceGrant there lets"
                    + " Gateways of " + gatewayNamespace + " use it");
        }
        Optional<String> ca = CaCertificateRefs.caOf(snapshot, kind, namespace, ref.getName());
        if (ca.isEmpty()) {
            throw new IllegalArgumentException(what + " (caCertificateRefs) not found, or it has no ca.crt");
        }
        if (!ca.get().contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException(what + ": ca.crt is not a PEM certificate");
        }
        return ca.get().strip() + "\n";
    }
}
