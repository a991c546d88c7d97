package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import java.util.Locale;
import java.util.Optional;

/**
 * Istio {@code StringMatch} ({@code exact}, {@code prefix}, {@code regex}) as Envoy matchers. An empty
 * {@code StringMatch} ({@code {}}) on a header or query parameter means "present", as in Istio.
 */
final class StringMatchers {

    private StringMatchers() {}

    /** Empty for an empty {@code StringMatch}. Istio regexes are RE2, the same dialect Envoy's safe_regex uses. */
    static Optional<StringMatcher> of(StringMatch match) {
        if (match == null || match.getMatchType() == null) {
            return Optional.empty();
        }
        StringMatcher.Builder matcher = StringMatcher.newBuilder();
        switch (match.getMatchType()) {
            case StringMatchExact exact -> matcher.setExact(exact.getExact());
            case StringMatchPrefix prefix -> matcher.setPrefix(prefix.getPrefix());
            case StringMatchRegex regex -> matcher.setSafeRegex(regex(regex.getRegex()));
            default -> {
                return Optional.empty();
            }
        }
        return Optional.of(matcher.build());
    }

    static RegexMatcher regex(String pattern) {
        return RegexMatcher.newBuilder().setRegex(pattern).build();
    }

    /** A header condition; {@code invert} for {@code withoutHeaders}. Header names are case-insensitive: lowered. */
    static HeaderMatcher header(String name, StringMatch match, boolean invert) {
        HeaderMatcher.Builder header = HeaderMatcher.newBuilder()
                .setName(name.toLowerCase(Locale.ROOT))
                .setInvertMatch(invert);
        of(match).ifPresentOrElse(header::setStringMatch, () -> header.setPresentMatch(true));
        return header.build();
    }

    static HeaderMatcher pseudoHeader(String name, StringMatcher matcher) {
        return HeaderMatcher.newBuilder().setName(name).setStringMatch(matcher).build();
    }

    static QueryParameterMatcher queryParameter(String name, StringMatch match) {
        QueryParameterMatcher.Builder query = QueryParameterMatcher.newBuilder().setName(name);
        of(match).ifPresentOrElse(query::setStringMatch, () -> query.setPresentMatch(true));
        return query.build();
    }
}
