package io.ambientjava.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.istiod.config.envoyfilter.RateLimitFilters;
import org.junit.jupiter.api.Test;

/** The admission webhook applies the EnvoyFilter subset: rate limiting admitted, other patches refused by field. */
class EnvoyFilterAdmissionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new YAMLMapper();

    private static JsonNode review(String yaml) throws Exception {
        JsonNode object = YAML.readTree(yaml);
        ObjectNode request = JSON.createObjectNode()
                .put("uid", "u-1")
                .put("operation", "CREATE")
                .put("namespace", object.path("metadata").path("namespace").asText())
                .put("name", object.path("metadata").path("name").asText());
        request.putObject("kind")
                .put("group", "networking.istio.io")
                .put("version", "v1alpha3")
                .put("kind", "EnvoyFilter");
        request.set("object", object);
        ObjectNode review =
                JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
        review.set("request", request);
        byte[] answer = new AdmissionValidator().review(JSON.writeValueAsBytes(review));
        return JSON.readTree(answer).path("response");
    }

    @Test
    void aLocalRateLimitFilterIsAdmitted() throws Exception {
        JsonNode response = review(RateLimitFilters.routeLimit("default", "SIDECAR_INBOUND", "reviews:9080"));
        assertThat(response.path("allowed").asBoolean()).isTrue();
    }

    @Test
    void anotherPatchIsRefusedNamingTheField() throws Exception {
        JsonNode response = review("""
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: lua, namespace: default}
                spec:
                  configPatches:
                  - applyTo: HTTP_FILTER
                    match: {context: SIDECAR_INBOUND}
                    patch:
                      operation: INSERT_BEFORE
                      value: {name: envoy.filters.http.lua}
                """);
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("message").asText())
                .contains("EnvoyFilter default/lua")
                .contains("spec.configPatches[0].patch.value.name")
                .contains("envoy.filters.http.lua");
    }
}
