package io.ambientjava.waypoint.config;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy.RetryBackOff;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Envoy's {@code RouteConfiguration} to a {@link RouteTable}, refusing what the waypoint does not implement. */
public final class RouteTranslator {

    public static final String FAULT_FILTER = "envoy.filters.http.fault";
    static final String HTTP_FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";

    /** Envoy's route timeout when the route names none. */
    static final Duration DEFAULT_ROUTE_TIMEOUT = Duration.ofSeconds(15);

    private RouteTranslator() {}

    public static RouteTable translate(RouteConfiguration rc) {
        String path = "RouteConfiguration " + rc.getName();
        FieldGuard.onlyFields(rc, path, Set.of("name", "virtual_hosts", "validate_clusters"));
        List<VirtualHost> hosts = new ArrayList<>();
        for (int i = 0; i < rc.getVirtualHostsCount(); i++) {
            hosts.add(virtualHost(rc.getVirtualHosts(i), path + ".virtual_hosts[" + i + "]"));
        }
        return new RouteTable(rc.getName(), hosts);
    }

    private static VirtualHost virtualHost(io.envoyproxy.envoy.config.route.v3.VirtualHost vh, String path) {
        FieldGuard.onlyFields(vh, path, Set.of("name", "domains", "routes", "require_tls"));
        if (vh.getDomainsCount() == 0) {
            throw FieldGuard.invalid(path + ".domains", "a virtual host needs at least one domain");
        }
        boolean requireTls = switch (vh.getRequireTls()) {
            case NONE -> false;
            case ALL -> true;
            default ->
                throw FieldGuard.invalid(
                        path + ".require_tls",
                        vh.getRequireTls() + " is not supported; NONE and ALL are (the waypoint does not mark"
                                + " requests internal)");
        };
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < vh.getRoutesCount(); i++) {
            routes.add(route(vh.getRoutes(i), path + ".routes[" + i + "]"));
        }
        return new VirtualHost(vh.getName(), vh.getDomainsList(), routes, requireTls);
    }

    private static Route route(io.envoyproxy.envoy.config.route.v3.Route r, String path) {
        FieldGuard.onlyFields(
                r,
                path,
                Set.of(
                        "name",
                        "match",
                        "route",
                        "redirect",
                        "direct_response",
                        "request_headers_to_add",
                        "request_headers_to_remove",
                        "response_headers_to_add",
                        "response_headers_to_remove",
                        "typed_per_filter_config",
                        "metadata"));
        if (!r.hasMatch()) {
            throw FieldGuard.invalid(path + ".match", "a route needs a match");
        }
        var match = MatcherTranslator.routeMatch(r.getMatch(), path + ".match");
        RouteAction action = switch (r.getActionCase()) {
            case ROUTE -> forward(r.getRoute(), path + ".route");
            case REDIRECT -> redirect(r.getRedirect(), path + ".redirect");
            case DIRECT_RESPONSE -> directResponse(r.getDirectResponse(), path + ".direct_response");
            default -> throw FieldGuard.invalid(path, "needs one of route, redirect, direct_response");
        };
        Optional<FaultConfig> fault = Optional.empty();
        Optional<LocalRateLimitConfig> localRateLimit = Optional.empty();
        Optional<CorsPolicy> cors = Optional.empty();
        for (Map.Entry<String, Any> e : r.getTypedPerFilterConfigMap().entrySet()) {
            String where = path + ".typed_per_filter_config[" + e.getKey() + "]";
            switch (e.getKey()) {
                case FAULT_FILTER -> fault = Optional.of(fault(e.getValue(), where));
                case LocalRateLimitTranslator.FILTER_NAME ->
                    localRateLimit = Optional.of(LocalRateLimitTranslator.perRoute(e.getValue(), where));
                case CorsTranslator.FILTER_NAME -> cors = Optional.of(CorsTranslator.perRoute(e.getValue(), where));
                default -> throw new UnsupportedConfigException("unsupported filter " + where);
            }
        }
        List<RateLimitPolicy> rateLimits = new ArrayList<>();
        for (int i = 0; i < r.getRoute().getRateLimitsCount(); i++) {
            rateLimits.add(LocalRateLimitTranslator.policy(
                    r.getRoute().getRateLimits(i), path + ".route.rate_limits[" + i + "]"));
        }
        return new Route(
                r.getName(),
                match,
                action,
                headers(
                        r.getRequestHeadersToAddList(),
                        r.getRequestHeadersToRemoveList(),
                        path + ".request_headers_to_add"),
                headers(
                        r.getResponseHeadersToAddList(),
                        r.getResponseHeadersToRemoveList(),
                        path + ".response_headers_to_add"),
                fault,
                localRateLimit,
                rateLimits,
                cors);
    }

    static FaultConfig fault(Any any, String path) {
        if (!any.getTypeUrl().equals(HTTP_FAULT_TYPE)) {
            throw FieldGuard.invalid(path, "expected " + HTTP_FAULT_TYPE + ", got " + any.getTypeUrl());
        }
        HTTPFault f;
        try {
            f = ProtoTypes.unpack(any, HTTPFault.class);
        } catch (InvalidProtocolBufferException e) {
            throw FieldGuard.invalid(path, "cannot decode HTTPFault: " + e.getMessage());
        }
        FieldGuard.onlyFields(f, path, Set.of("delay", "abort"));
        Optional<FaultConfig.Delay> delay = Optional.empty();
        if (f.hasDelay()) {
            FaultDelay d = f.getDelay();
            FieldGuard.onlyFields(d, path + ".delay", Set.of("fixed_delay", "percentage"));
            if (!d.hasFixedDelay()) {
                throw FieldGuard.invalid(path + ".delay", "only fixed_delay is supported");
            }
            delay = Optional.of(new FaultConfig.Delay(
                    ProtoValues.duration(d.getFixedDelay()),
                    fractionOrAll(d.hasPercentage(), d.getPercentage(), path)));
        }
        Optional<FaultConfig.Abort> abort = Optional.empty();
        if (f.hasAbort()) {
            FaultAbort a = f.getAbort();
            FieldGuard.onlyFields(a, path + ".abort", Set.of("http_status", "grpc_status", "percentage"));
            double fraction = fractionOrAll(a.hasPercentage(), a.getPercentage(), path + ".abort");
            abort = Optional.of(
                    switch (a.getErrorTypeCase()) {
                        case HTTP_STATUS -> {
                            if (a.getHttpStatus() < 200 || a.getHttpStatus() > 599) {
                                throw FieldGuard.invalid(path + ".abort.http_status", "must be 200..599");
                            }
                            yield new FaultConfig.Abort(Optional.of(a.getHttpStatus()), Optional.empty(), fraction);
                        }
                        case GRPC_STATUS ->
                            new FaultConfig.Abort(Optional.empty(), Optional.of(a.getGrpcStatus()), fraction);
                        default -> throw FieldGuard.invalid(path + ".abort", "needs http_status or grpc_status");
                    });
        }
        return new FaultConfig(delay, abort);
    }

    private static double fractionOrAll(boolean present, io.envoyproxy.envoy.type.v3.FractionalPercent p, String path) {
        return present ? ProtoValues.fraction(p, path + ".percentage") : 1.0;
    }

    private static RouteAction.Forward forward(io.envoyproxy.envoy.config.route.v3.RouteAction a, String path) {
        FieldGuard.onlyFields(
                a,
                path,
                Set.of(
                        "cluster",
                        "weighted_clusters",
                        "timeout",
                        "retry_policy",
                        "request_mirror_policies",
                        "prefix_rewrite",
                        "regex_rewrite",
                        "host_rewrite_literal",
                        "hash_policy",
                        "max_stream_duration",
                        "cluster_not_found_response_code",
                        "rate_limits"));
        if (a.hasMaxStreamDuration()) {
            var msd = a.getMaxStreamDuration();
            FieldGuard.onlyFields(msd, path + ".max_stream_duration", Set.of("max_stream_duration"));
            // Istio sets max_stream_duration 0 (disabled) next to timeout 0; anything else is not implemented.
            if (ProtoValues.duration(msd.getMaxStreamDuration()).toMillis() != 0) {
                throw new UnsupportedConfigException(
                        "unsupported field " + path + ".max_stream_duration.max_stream_duration (non-zero)");
            }
        }
        List<RouteAction.WeightedCluster> clusters = new ArrayList<>();
        switch (a.getClusterSpecifierCase()) {
            case CLUSTER ->
                clusters.add(
                        new RouteAction.WeightedCluster(a.getCluster(), 1, HeaderMutations.NONE, HeaderMutations.NONE));
            case WEIGHTED_CLUSTERS -> {
                var wc = a.getWeightedClusters();
                String wpath = path + ".weighted_clusters";
                FieldGuard.onlyFields(wc, wpath, Set.of("clusters", "total_weight"));
                for (int i = 0; i < wc.getClustersCount(); i++) {
                    var c = wc.getClusters(i);
                    String cpath = wpath + ".clusters[" + i + "]";
                    FieldGuard.onlyFields(
                            c,
                            cpath,
                            Set.of(
                                    "name",
                                    "weight",
                                    "request_headers_to_add",
                                    "request_headers_to_remove",
                                    "response_headers_to_add",
                                    "response_headers_to_remove"));
                    clusters.add(new RouteAction.WeightedCluster(
                            c.getName(),
                            c.hasWeight() ? c.getWeight().getValue() : 0,
                            headers(c.getRequestHeadersToAddList(), c.getRequestHeadersToRemoveList(), cpath),
                            headers(c.getResponseHeadersToAddList(), c.getResponseHeadersToRemoveList(), cpath)));
                }
                if (clusters.stream()
                                .mapToInt(RouteAction.WeightedCluster::weight)
                                .sum()
                        <= 0) {
                    throw FieldGuard.invalid(wpath, "the weights add up to 0");
                }
            }
            default -> throw FieldGuard.invalid(path, "needs cluster or weighted_clusters");
        }
        Optional<Duration> timeout = a.hasTimeout()
                ? Optional.of(ProtoValues.duration(a.getTimeout())).filter(d -> !d.isZero())
                : Optional.of(DEFAULT_ROUTE_TIMEOUT);
        Optional<RetryPolicy> retry =
                a.hasRetryPolicy() ? Optional.of(retry(a.getRetryPolicy(), path + ".retry_policy")) : Optional.empty();
        List<RouteAction.Mirror> mirrors = new ArrayList<>();
        for (int i = 0; i < a.getRequestMirrorPoliciesCount(); i++) {
            var m = a.getRequestMirrorPolicies(i);
            String mpath = path + ".request_mirror_policies[" + i + "]";
            FieldGuard.onlyFields(m, mpath, Set.of("cluster", "runtime_fraction"));
            double fraction = 1.0;
            if (m.hasRuntimeFraction()) {
                FieldGuard.onlyFields(
                        m.getRuntimeFraction(), mpath + ".runtime_fraction", Set.of("default_value", "runtime_key"));
                fraction = ProtoValues.fraction(m.getRuntimeFraction().getDefaultValue(), mpath + ".runtime_fraction");
            }
            if (m.getCluster().isEmpty()) {
                throw FieldGuard.invalid(mpath + ".cluster", "empty");
            }
            mirrors.add(new RouteAction.Mirror(m.getCluster(), fraction));
        }
        List<HashPolicy> hashPolicies = new ArrayList<>();
        for (int i = 0; i < a.getHashPolicyCount(); i++) {
            var h = a.getHashPolicy(i);
            String hpath = path + ".hash_policy[" + i + "]";
            FieldGuard.onlyFields(
                    h, hpath, Set.of("header", "cookie", "connection_properties", "query_parameter", "terminal"));
            hashPolicies.add(
                    switch (h.getPolicySpecifierCase()) {
                        case HEADER -> {
                            FieldGuard.onlyFields(h.getHeader(), hpath + ".header", Set.of("header_name"));
                            yield new HashPolicy.Header(
                                    h.getHeader().getHeaderName().toLowerCase(java.util.Locale.ROOT), h.getTerminal());
                        }
                        case COOKIE -> {
                            // ttl/path ask Envoy to generate the cookie; we only hash an existing one.
                            FieldGuard.onlyFields(h.getCookie(), hpath + ".cookie", Set.of("name"));
                            yield new HashPolicy.Cookie(h.getCookie().getName(), h.getTerminal());
                        }
                        case CONNECTION_PROPERTIES -> {
                            if (!h.getConnectionProperties().getSourceIp()) {
                                throw FieldGuard.invalid(
                                        hpath + ".connection_properties", "only source_ip: true is supported");
                            }
                            yield new HashPolicy.SourceIp(h.getTerminal());
                        }
                        case QUERY_PARAMETER -> {
                            FieldGuard.onlyFields(h.getQueryParameter(), hpath + ".query_parameter", Set.of("name"));
                            yield new HashPolicy.QueryParameter(
                                    h.getQueryParameter().getName(), h.getTerminal());
                        }
                        default ->
                            throw FieldGuard.invalid(
                                    hpath, "needs header, cookie, connection_properties or query_parameter");
                    });
        }
        return new RouteAction.Forward(
                clusters,
                timeout,
                retry,
                mirrors,
                a.getPrefixRewrite().isEmpty() ? Optional.empty() : Optional.of(a.getPrefixRewrite()),
                a.hasRegexRewrite()
                        ? Optional.of(regexRewrite(a.getRegexRewrite(), path + ".regex_rewrite"))
                        : Optional.empty(),
                a.getHostRewriteLiteral().isEmpty() ? Optional.empty() : Optional.of(a.getHostRewriteLiteral()),
                hashPolicies);
    }

    static RouteAction.RegexRewrite regexRewrite(
            io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute r, String path) {
        FieldGuard.onlyFields(r, path, Set.of("pattern", "substitution"));
        var pattern = MatcherTranslator.regex(r.getPattern(), path + ".pattern");
        // Envoy (RE2) writes capture groups as \1; Java's replaceAll wants $1, and a literal $ escaped.
        StringBuilder replacement = new StringBuilder();
        String s = r.getSubstitution();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1))) {
                replacement.append('$').append(s.charAt(++i));
            } else if (c == '$' || c == '\\') {
                replacement.append('\\').append(c);
            } else {
                replacement.append(c);
            }
        }
        return new RouteAction.RegexRewrite(pattern, replacement.toString());
    }

    static RetryPolicy retry(io.envoyproxy.envoy.config.route.v3.RetryPolicy p, String path) {
        FieldGuard.onlyFields(
                p,
                path,
                Set.of(
                        "retry_on",
                        "num_retries",
                        "per_try_timeout",
                        "retry_back_off",
                        "retriable_status_codes",
                        "retry_host_predicate",
                        "host_selection_retry_max_attempts"));
        Set<String> conditions = new LinkedHashSet<>();
        for (String c : Arrays.asList(p.getRetryOn().split(","))) {
            String condition = c.trim();
            if (condition.isEmpty()) {
                continue;
            }
            if (!RetryPolicy.SUPPORTED_CONDITIONS.contains(condition)) {
                throw new UnsupportedConfigException(
                        "unsupported retry condition '" + condition + "' in " + path + ".retry_on");
            }
            conditions.add(condition);
        }
        for (var predicate : p.getRetryHostPredicateList()) {
            // Istio adds previous_hosts; our retries already prefer another host, so it is what we do.
            if (!predicate.getName().equals("envoy.retry_host_predicates.previous_hosts")) {
                throw new UnsupportedConfigException(
                        "unsupported retry host predicate '" + predicate.getName() + "' in " + path);
            }
        }
        Duration base = Duration.ofMillis(25);
        Duration max = null;
        if (p.hasRetryBackOff()) {
            RetryBackOff b = p.getRetryBackOff();
            FieldGuard.onlyFields(b, path + ".retry_back_off", Set.of("base_interval", "max_interval"));
            base = ProtoValues.duration(b.getBaseInterval());
            if (base.isZero() || base.isNegative()) {
                throw FieldGuard.invalid(path + ".retry_back_off.base_interval", "must be positive");
            }
            if (b.hasMaxInterval()) {
                max = ProtoValues.duration(b.getMaxInterval());
            }
        }
        if (max == null) {
            max = base.multipliedBy(10);
        }
        return new RetryPolicy(
                conditions,
                p.hasNumRetries() ? p.getNumRetries().getValue() : 1,
                p.hasPerTryTimeout()
                        ? Optional.of(ProtoValues.duration(p.getPerTryTimeout()))
                                .filter(d -> !d.isZero())
                        : Optional.empty(),
                base,
                max,
                Set.copyOf(p.getRetriableStatusCodesList()));
    }

    private static RouteAction.Redirect redirect(RedirectAction r, String path) {
        FieldGuard.onlyFields(
                r,
                path,
                Set.of(
                        "https_redirect",
                        "scheme_redirect",
                        "host_redirect",
                        "port_redirect",
                        "path_redirect",
                        "prefix_rewrite",
                        "response_code",
                        "strip_query"));
        Optional<String> scheme = r.hasHttpsRedirect() && r.getHttpsRedirect()
                ? Optional.of("https")
                : r.hasSchemeRedirect() ? Optional.of(r.getSchemeRedirect()) : Optional.empty();
        int status = switch (r.getResponseCode()) {
            case MOVED_PERMANENTLY -> 301;
            case FOUND -> 302;
            case SEE_OTHER -> 303;
            case TEMPORARY_REDIRECT -> 307;
            case PERMANENT_REDIRECT -> 308;
            default -> throw FieldGuard.invalid(path + ".response_code", "unknown code");
        };
        return new RouteAction.Redirect(
                scheme,
                r.getHostRedirect().isEmpty() ? Optional.empty() : Optional.of(r.getHostRedirect()),
                r.getPortRedirect() == 0 ? Optional.empty() : Optional.of(r.getPortRedirect()),
                r.hasPathRedirect() ? Optional.of(r.getPathRedirect()) : Optional.empty(),
                r.hasPrefixRewrite() ? Optional.of(r.getPrefixRewrite()) : Optional.empty(),
                status,
                r.getStripQuery());
    }

    private static RouteAction.DirectResponse directResponse(DirectResponseAction d, String path) {
        FieldGuard.onlyFields(d, path, Set.of("status", "body"));
        if (d.getStatus() < 200 || d.getStatus() > 599) {
            throw FieldGuard.invalid(path + ".status", "must be 200..599, was " + d.getStatus());
        }
        Optional<String> body = Optional.empty();
        if (d.hasBody()) {
            FieldGuard.onlyFields(d.getBody(), path + ".body", Set.of("inline_string", "inline_bytes"));
            body = Optional.of(
                    d.getBody().hasInlineString()
                            ? d.getBody().getInlineString()
                            : d.getBody().getInlineBytes().toStringUtf8());
        }
        return new RouteAction.DirectResponse(d.getStatus(), body);
    }

    @SuppressWarnings("deprecation") // the deprecated 'append' is still sent by control planes
    static HeaderMutations headers(List<HeaderValueOption> add, List<String> remove, String path) {
        List<HeaderMutations.HeaderAdd> adds = new ArrayList<>();
        for (int i = 0; i < add.size(); i++) {
            HeaderValueOption o = add.get(i);
            String opath = path + "[" + i + "]";
            FieldGuard.onlyFields(o, opath, Set.of("header", "append", "append_action"));
            FieldGuard.onlyFields(o.getHeader(), opath + ".header", Set.of("key", "value"));
            if (o.getHeader().getKey().isEmpty()) {
                throw FieldGuard.invalid(opath + ".header.key", "empty header name");
            }
            HeaderMutations.AppendAction action;
            if (o.hasAppend()) {
                // The deprecated bool: true appends, false overwrites.
                action = o.getAppend().getValue()
                        ? HeaderMutations.AppendAction.APPEND_IF_EXISTS_OR_ADD
                        : HeaderMutations.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
            } else {
                action = switch (o.getAppendAction()) {
                    case APPEND_IF_EXISTS_OR_ADD -> HeaderMutations.AppendAction.APPEND_IF_EXISTS_OR_ADD;
                    case ADD_IF_ABSENT -> HeaderMutations.AppendAction.ADD_IF_ABSENT;
                    case OVERWRITE_IF_EXISTS_OR_ADD -> HeaderMutations.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
                    case OVERWRITE_IF_EXISTS -> HeaderMutations.AppendAction.OVERWRITE_IF_EXISTS;
                    default -> throw FieldGuard.invalid(opath + ".append_action", "unknown action");
                };
            }
            adds.add(new HeaderMutations.HeaderAdd(
                    o.getHeader().getKey().toLowerCase(java.util.Locale.ROOT),
                    o.getHeader().getValue(),
                    action));
        }
        return new HeaderMutations(
                adds,
                remove.stream().map(h -> h.toLowerCase(java.util.Locale.ROOT)).toList());
    }
}
