package io.ambientjava.istiod.config.yaml;

import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Kubernetes' rules for names and labels (DNS-1123 labels and subdomains, qualified label keys). */
final class MetadataRules {

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

    private MetadataRules() {}

    static void checkName(ResourceKind kind, String name, String path, List<FieldIssue> issues) {
        boolean labelOnly = kind == ResourceKind.NAMESPACE || kind == ResourceKind.SERVICE;
        if (labelOnly) {
            checkDnsLabel(name, path, issues);
        } else {
            checkDnsSubdomain(name, path, issues);
        }
    }

    static void checkDnsLabel(String value, String path, List<FieldIssue> issues) {
        if (value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
            issues.add(FieldIssue.error(
                    path,
                    "'" + value + "' is not a DNS-1123 label (lower-case letters, digits and '-', at most 63"
                            + " characters, starting and ending with a letter or digit)"));
        }
    }

    static void checkDnsSubdomain(String value, String path, List<FieldIssue> issues) {
        if (value.length() > 253 || !DNS_SUBDOMAIN.matcher(value).matches()) {
            issues.add(FieldIssue.error(
                    path,
                    "'" + value + "' is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at"
                            + " most 253 characters)"));
        }
    }

    static void checkLabels(ObjectMeta metadata, List<FieldIssue> issues) {
        checkLabelMap(metadata.getLabels(), "metadata.labels", issues);
    }

    static void checkLabelMap(Map<String, String> labels, String path, List<FieldIssue> issues) {
        if (labels == null) {
            return;
        }
        labels.forEach((key, value) -> {
            String keyPath = FieldIssue.child(path, key);
            checkLabelKey(key, keyPath, issues);
            if (value == null) {
                issues.add(FieldIssue.error(keyPath, "label value must be a string (use \"\" for empty)"));
            } else if (value.length() > 63 || !LABEL_VALUE.matcher(value).matches()) {
                issues.add(FieldIssue.error(
                        keyPath,
                        "invalid label value '" + value + "' (at most 63 letters, digits, '-', '_' or '.',"
                                + " starting and ending with a letter or digit)"));
            }
        });
    }

    private static void checkLabelKey(String key, String path, List<FieldIssue> issues) {
        int slash = key.indexOf('/');
        String prefix = slash < 0 ? "" : key.substring(0, slash);
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0
                && (prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches())) {
            issues.add(FieldIssue.error(path, "label key prefix '" + prefix + "' is not a DNS-1123 subdomain"));
        }
        if (name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
            issues.add(FieldIssue.error(path, "invalid label key '" + key + "'"));
        }
    }
}
