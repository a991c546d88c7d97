package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Envoy matchers to the waypoint's. */
final class MatcherTranslator {

    private MatcherTranslator() {}

    static io.ambientjava.waypoint.config.RouteMatch routeMatch(RouteMatch match, String path) {
        FieldGuard.onlyFields(
                match, path, Set.of("prefix", "path", "safe_regex", "headers", "query_parameters", "case_sensitive"));
        boolean caseSensitive =
                !match.hasCaseSensitive() || match.getCaseSensitive().getValue();
        PathMatch pathMatch = switch (match.getPathSpecifierCase()) {
            case PREFIX -> new PathMatch.Prefix(match.getPrefix(), caseSensitive);
            case PATH -> new PathMatch.Exact(match.getPath(), caseSensitive);
            case SAFE_REGEX -> new PathMatch.Regex(regex(match.getSafeRegex(), path + ".safe_regex"));
            default -> throw FieldGuard.invalid(path, "needs one of prefix, path, safe_regex");
        };
        List<HeaderMatch> headers = new ArrayList<>();
        for (int i = 0; i < match.getHeadersCount(); i++) {
            headers.add(header(match.getHeaders(i), path + ".headers[" + i + "]"));
        }
        List<QueryMatch> queries = new ArrayList<>();
        for (int i = 0; i < match.getQueryParametersCount(); i++) {
            queries.add(query(match.getQueryParameters(i), path + ".query_parameters[" + i + "]"));
        }
        return new io.ambientjava.waypoint.config.RouteMatch(pathMatch, headers, queries);
    }

    @SuppressWarnings("deprecation") // the older *_match fields are still sent by control planes
    static HeaderMatch header(HeaderMatcher m, String path) {
        FieldGuard.onlyFields(
                m,
                path,
                Set.of(
                        "name",
                        "exact_match",
                        "safe_regex_match",
                        "present_match",
                        "prefix_match",
                        "suffix_match",
                        "contains_match",
                        "string_match",
                        "invert_match",
                        "treat_missing_header_as_empty"));
        if (m.getName().isEmpty()) {
            throw FieldGuard.invalid(path + ".name", "empty header name");
        }
        if (m.getTreatMissingHeaderAsEmpty()) {
            throw new UnsupportedConfigException("unsupported field " + path + ".treat_missing_header_as_empty");
        }
        Optional<StringMatch> value = switch (m.getHeaderMatchSpecifierCase()) {
            case EXACT_MATCH -> Optional.of(new StringMatch.Exact(m.getExactMatch(), false));
            case SAFE_REGEX_MATCH ->
                Optional.of(new StringMatch.Regex(regex(m.getSafeRegexMatch(), path + ".safe_regex_match")));
            case PREFIX_MATCH -> Optional.of(new StringMatch.Prefix(m.getPrefixMatch(), false));
            case SUFFIX_MATCH -> Optional.of(new StringMatch.Suffix(m.getSuffixMatch(), false));
            case CONTAINS_MATCH -> Optional.of(new StringMatch.Contains(m.getContainsMatch(), false));
            case STRING_MATCH -> Optional.of(string(m.getStringMatch(), path + ".string_match"));
            case PRESENT_MATCH, HEADERMATCHSPECIFIER_NOT_SET -> Optional.empty();
            default ->
                throw new UnsupportedConfigException("unsupported field " + path + "."
                        + m.getHeaderMatchSpecifierCase().name().toLowerCase());
        };
        // No specifier at all means "present" in Envoy.
        boolean present = m.getHeaderMatchSpecifierCase() != HeaderMatcher.HeaderMatchSpecifierCase.PRESENT_MATCH
                || m.getPresentMatch();
        return new HeaderMatch(m.getName().toLowerCase(java.util.Locale.ROOT), value, present, m.getInvertMatch());
    }

    static QueryMatch query(QueryParameterMatcher m, String path) {
        FieldGuard.onlyFields(m, path, Set.of("name", "string_match", "present_match"));
        Optional<StringMatch> value =
                m.hasStringMatch() ? Optional.of(string(m.getStringMatch(), path + ".string_match")) : Optional.empty();
        return new QueryMatch(m.getName(), value);
    }

    static StringMatch string(StringMatcher m, String path) {
        FieldGuard.onlyFields(m, path, Set.of("exact", "prefix", "suffix", "safe_regex", "contains", "ignore_case"));
        boolean ignoreCase = m.getIgnoreCase();
        return switch (m.getMatchPatternCase()) {
            case EXACT -> new StringMatch.Exact(m.getExact(), ignoreCase);
            case PREFIX -> new StringMatch.Prefix(m.getPrefix(), ignoreCase);
            case SUFFIX -> new StringMatch.Suffix(m.getSuffix(), ignoreCase);
            case CONTAINS -> new StringMatch.Contains(m.getContains(), ignoreCase);
            case SAFE_REGEX -> new StringMatch.Regex(regex(m.getSafeRegex(), path + ".safe_regex"));
            default -> throw FieldGuard.invalid(path, "needs one of exact, prefix, suffix, contains, safe_regex");
        };
    }

    static Pattern regex(RegexMatcher m, String path) {
        FieldGuard.onlyFields(m, path, Set.of("regex", "google_re2"));
        try {
            return Pattern.compile(m.getRegex());
        } catch (PatternSyntaxException e) {
            throw FieldGuard.invalid(
                    path + ".regex", "'" + m.getRegex() + "' is not a valid regex: " + e.getDescription());
        }
    }
}
