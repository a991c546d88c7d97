package io.ambientjava.meshctl.waypoint;

import io.ambientjava.meshctl.MeshctlException;
import java.util.regex.Pattern;

/** Kubernetes name rules, checked before anything is generated or sent. */
final class DnsNames {

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private DnsNames() {}

    static void requireLabel(String value, String option) {
        if (value.length() > 63 || !LABEL.matcher(value).matches()) {
            throw new MeshctlException(option + " '" + value
                    + "' is not a valid name (lower-case letters, digits and '-', at most 63 characters)");
        }
    }

    static void requireSubdomain(String value, String option) {
        if (value.length() > 253 || !SUBDOMAIN.matcher(value).matches()) {
            throw new MeshctlException(option + " '" + value
                    + "' is not a valid name (lower-case letters, digits, '-' and '.', at most 253 characters)");
        }
    }
}
