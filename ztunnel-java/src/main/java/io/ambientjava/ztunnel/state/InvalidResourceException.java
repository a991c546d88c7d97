package io.ambientjava.ztunnel.state;

/**
 * A resource (from xDS or a config file) that cannot become part of the state. The message names the resource,
 * the field and what is wrong, e.g. {@code workload "Kubernetes//Pod/default/a": addresses[0]: 5 bytes is not an
 * IP address}.
 */
public final class InvalidResourceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String resource;
    private final String field;
    private final String problem;

    public InvalidResourceException(String resource, String field, String problem) {
        super(resource + ": " + field + ": " + problem);
        this.resource = resource;
        this.field = field;
        this.problem = problem;
    }

    /** The resource's kind and name, e.g. {@code workload "Kubernetes//Pod/default/a"}. */
    public String resource() {
        return resource;
    }

    /** The field path within the resource, e.g. {@code addresses[0]}. */
    public String field() {
        return field;
    }

    /** What is wrong with the field's value. */
    public String problem() {
        return problem;
    }
}
