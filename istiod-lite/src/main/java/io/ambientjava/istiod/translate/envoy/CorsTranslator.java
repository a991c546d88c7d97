package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.BoolValue;
import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.fabric8.istio.api.api.networking.v1alpha3.CorsPolicyUnmatchedPreflights;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An Istio {@code corsPolicy} as the route's per-filter config for {@code envoy.filters.http.cors}, as Istio writes
 * it: {@code allowOrigins} (or the deprecated {@code allowOrigin}, exact) as origin matchers; methods and headers
 * joined by commas; {@code maxAge} in whole seconds; the filter enabled for every request; preflights whose origin
 * does not match forwarded unless {@code unmatchedPreflights: IGNORE}.
 */
final class CorsTranslator {

    private static final RuntimeFractionalPercent ALWAYS = RuntimeFractionalPercent.newBuilder()
            .setDefaultValue(FractionalPercent.newBuilder()
                    .setNumerator(100)
                    .setDenominator(FractionalPercent.DenominatorType.HUNDRED))
            .build();

    private CorsTranslator() {}

    static CorsPolicy translate(io.fabric8.istio.api.api.networking.v1alpha3.CorsPolicy in, Consumer<String> warn) {
        CorsPolicy.Builder out = CorsPolicy.newBuilder()
                .setFilterEnabled(ALWAYS)
                .setForwardNotMatchingPreflights(
                        BoolValue.of(in.getUnmatchedPreflights() != CorsPolicyUnmatchedPreflights.IGNORE));
        List<StringMatch> origins = MeshServices.listOrEmpty(in.getAllowOrigins());
        if (!origins.isEmpty()) {
            for (StringMatch origin : origins) {
                Optional<StringMatcher> matcher = StringMatchers.of(origin);
                if (matcher.isPresent()) {
                    out.addAllowOriginStringMatch(matcher.get());
                } else {
                    warn.accept("corsPolicy.allowOrigins has an empty match; it matches no origin");
                }
            }
        } else {
            for (String origin : MeshServices.listOrEmpty(in.getAllowOrigin())) {
                out.addAllowOriginStringMatch(StringMatcher.newBuilder().setExact(origin));
            }
        }
        out.setAllowMethods(String.join(",", MeshServices.listOrEmpty(in.getAllowMethods())));
        out.setAllowHeaders(String.join(",", MeshServices.listOrEmpty(in.getAllowHeaders())));
        out.setExposeHeaders(String.join(",", MeshServices.listOrEmpty(in.getExposeHeaders())));
        if (in.getMaxAge() != null) {
            IstioDurations.parse(in.getMaxAge()).ifPresent(age -> out.setMaxAge(Long.toString(age.getSeconds())));
        }
        if (in.getAllowCredentials() != null) {
            out.setAllowCredentials(BoolValue.of(in.getAllowCredentials()));
        }
        return out.build();
    }
}
