package io.ambientjava.istiod.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.SourceLocation;
import io.ambientjava.istiod.config.yaml.ResourceFileParser;
import io.ambientjava.istiod.config.yaml.ResourceFileParser.Refused;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Answers {@code admission.k8s.io/v1} AdmissionReviews: an object is allowed when the local folder would accept it
 * (same parser, same rules, unknown fields refused), refused otherwise with every error named by resource, field
 * path and reason. Kinds istiod-lite does not read, and deletions, are allowed. Thread-safe.
 */
public final class AdmissionValidator {

    static final String API_VERSION = "admission.k8s.io/v1";
    static final String KIND = "AdmissionReview";

    private final ObjectMapper json = new ObjectMapper();
    private final ResourceFileParser parser = new ResourceFileParser();

    /** The AdmissionReview to send back (JSON) for a request body. */
    public byte[] review(byte[] body) throws MalformedReviewException {
        JsonNode review;
        try {
            review = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new MalformedReviewException("the body is not JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new MalformedReviewException("cannot read the body: " + e.getMessage());
        }
        AdmissionResponse response = respond(review);
        AdmissionReview answer = new AdmissionReviewBuilder()
                .withApiVersion(API_VERSION)
                .withKind(KIND)
                .withResponse(response)
                .build();
        try {
            return json.writeValueAsBytes(answer);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an AdmissionReview", e);
        }
    }

    private AdmissionResponse respond(JsonNode review) throws MalformedReviewException {
        if (review == null || !review.isObject()) {
            throw new MalformedReviewException("expected an AdmissionReview object");
        }
        String apiVersion = review.path("apiVersion").asText("");
        String kind = review.path("kind").asText("");
        if (!API_VERSION.equals(apiVersion) || !KIND.equals(kind)) {
            throw new MalformedReviewException("expected apiVersion " + API_VERSION + " and kind " + KIND + ", got '"
                    + apiVersion + "' and '" + kind + "'");
        }
        JsonNode request = review.path("request");
        if (!request.isObject()) {
            throw new MalformedReviewException("request: required (an object)");
        }
        String uid = request.path("uid").asText("");
        if (uid.isEmpty()) {
            throw new MalformedReviewException("request.uid: required (a string)");
        }
        String operation = request.path("operation").asText("");
        if (operation.equals("DELETE") || operation.equals("CONNECT")) {
            return allowed(uid, List.of());
        }
        if (!operation.equals("CREATE") && !operation.equals("UPDATE")) {
            throw new MalformedReviewException(
                    "request.operation: expected CREATE, UPDATE, DELETE or CONNECT, got '" + operation + "'");
        }
        JsonNode object = request.path("object");
        if (!object.isObject()) {
            throw new MalformedReviewException("request.object: required for " + operation + " (an object)");
        }
        return validate(uid, request, ((ObjectNode) object).deepCopy());
    }

    private AdmissionResponse validate(String uid, JsonNode request, ObjectNode object) {
        fillIn(object, request);
        String namespace = object.path("metadata").path("namespace").asText("");
        String name = object.path("metadata").path("name").asText("");
        List<ConfigProblem> problems = new ArrayList<>();
        var outcome = parser.decode(
                object,
                SourceLocation.ofObject("admission:" + object.path("kind").asText("") + "/"
                        + (namespace.isEmpty() ? name : namespace + "/" + name)),
                problems);
        List<String> warnings = problems.stream()
                .filter(p -> !p.isError())
                .map(AdmissionValidator::describe)
                .toList();
        if (outcome instanceof Refused) {
            String message = problems.stream()
                    .filter(ConfigProblem::isError)
                    .map(AdmissionValidator::describe)
                    .collect(Collectors.joining("; "));
            return new AdmissionResponseBuilder()
                    .withUid(uid)
                    .withAllowed(false)
                    .withStatus(new StatusBuilder()
                            .withStatus("Failure")
                            .withCode(422)
                            .withReason("Invalid")
                            .withMessage("istiod-lite: " + message)
                            .build())
                    .withWarnings(warnings.isEmpty() ? null : warnings)
                    .build();
        }
        return allowed(uid, warnings);
    }

    /**
     * The API server may send an object without its namespace (created into the request's namespace) or without
     * apiVersion and kind; the request says them.
     */
    private static void fillIn(ObjectNode object, JsonNode request) {
        JsonNode requestKind = request.path("kind");
        if (!object.path("apiVersion").isTextual() && requestKind.isObject()) {
            String group = requestKind.path("group").asText("");
            String version = requestKind.path("version").asText("");
            object.put("apiVersion", group.isEmpty() ? version : group + "/" + version);
        }
        if (!object.path("kind").isTextual() && requestKind.isObject()) {
            object.put("kind", requestKind.path("kind").asText(""));
        }
        if (object.path("metadata") instanceof ObjectNode metadata) {
            metadata.remove("managedFields"); // the API server's bookkeeping, not part of the resource
        }
        String namespace = request.path("namespace").asText("");
        if (!namespace.isEmpty() && object.path("metadata") instanceof ObjectNode metadata) {
            if (metadata.path("namespace").asText("").isEmpty()) {
                metadata.put("namespace", namespace);
            }
            if (metadata.path("name").asText("").isEmpty()
                    && !request.path("name").asText("").isEmpty()) {
                metadata.put("name", request.path("name").asText());
            }
        }
    }

    /** {@code PeerAuthentication shop/default: spec.mtls.mode: unknown value 'STRCT' (...)}. */
    private static String describe(ConfigProblem problem) {
        StringBuilder text = new StringBuilder();
        if (!problem.resource().isEmpty()) {
            text.append(problem.resource()).append(": ");
        }
        if (!problem.fieldPath().isEmpty()) {
            text.append(problem.fieldPath()).append(": ");
        }
        return text.append(problem.reason()).toString();
    }

    private static AdmissionResponse allowed(String uid, List<String> warnings) {
        return new AdmissionResponseBuilder()
                .withUid(uid)
                .withAllowed(true)
                .withWarnings(warnings.isEmpty() ? null : warnings)
                .build();
    }
}
