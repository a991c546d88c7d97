package io.ambientjava.meshctl.local;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Kubernetes' rules for the names and labels the local mesh's commands take, with messages naming the culprit. */
public final class PodArguments {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_PREFIX =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    private PodArguments() {}

    /** A label to set ({@code key=value}) or remove ({@code key-}); {@code value} is empty for a removal. */
    public record LabelChange(String key, Optional<String> value) {
        public boolean removes() {
            return value.isEmpty();
        }
    }

    /** A pod or namespace name: a DNS label (lower-case letters, digits, '-', at most 63). */
    public static String checkName(String what, String name) {
        if (name == null || !DNS_LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid " + what + " name '" + name
                    + "': use at most 63 lower-case letters, digits and '-', starting and ending with a letter or"
                    + " digit");
        }
        return name;
    }

    /** {@code key=value} sets, {@code key-} removes. */
    public static LabelChange labelChange(String argument) {
        if (argument.endsWith("-") && !argument.contains("=")) {
            return new LabelChange(checkKey(argument.substring(0, argument.length() - 1)), Optional.empty());
        }
        int equals = argument.indexOf('=');
        if (equals < 0) {
            throw new IllegalArgumentException(
                    "'" + argument + "' is neither key=value (set a label) nor key- (remove a label)");
        }
        return new LabelChange(
                checkKey(argument.substring(0, equals)),
                Optional.of(checkValue(argument.substring(0, equals), argument.substring(equals + 1))));
    }

    /** {@code k1=v1,k2=v2} (as kubectl's --labels), in order. */
    public static Map<String, String> labels(String list) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : list.split(",")) {
            LabelChange change = labelChange(pair.strip());
            if (change.removes()) {
                throw new IllegalArgumentException("'" + pair + "' is not key=value");
            }
            labels.put(change.key(), change.value().orElseThrow());
        }
        return labels;
    }

    private static String checkKey(String key) {
        int slash = key.indexOf('/');
        String prefix = slash < 0 ? "" : key.substring(0, slash);
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (!LABEL_NAME.matcher(name).matches()
                || (slash >= 0
                        && (prefix.length() > 253
                                || !LABEL_PREFIX.matcher(prefix).matches()))) {
            throw new IllegalArgumentException("invalid label key '" + key
                    + "': an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'");
        }
        return key;
    }

    private static String checkValue(String key, String value) {
        if (!LABEL_VALUE.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid value '" + value + "' for label " + key
                    + ": at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
        }
        return value;
    }
}
