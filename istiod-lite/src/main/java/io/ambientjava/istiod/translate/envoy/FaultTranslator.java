package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortGrpcStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import io.grpc.Status;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An Istio {@code fault} as the route's per-filter config for {@code envoy.filters.http.fault}: {@code delay}
 * ({@code fixedDelay}) and {@code abort} ({@code httpStatus} or {@code grpcStatus}), each applied to its
 * percentage of requests ({@code percentage.value}, or the deprecated integer {@code percent}; 100% when neither).
 */
final class FaultTranslator {

    private FaultTranslator() {}

    static Optional<HTTPFault> translate(HTTPFaultInjection fault, Consumer<String> warn) {
        if (fault == null) {
            return Optional.empty();
        }
        HTTPFault.Builder out = HTTPFault.newBuilder();
        var delay = fault.getDelay();
        if (delay != null) {
            if (delay.getHttpDelayType() instanceof HTTPFaultInjectionDelayFixedDelay fixed
                    && fixed.getFixedDelay() != null) {
                out.setDelay(FaultDelay.newBuilder()
                        .setFixedDelay(
                                IstioDurations.parse(fixed.getFixedDelay()).orElseThrow())
                        .setPercentage(percentage(delay.getPercentage(), delay.getPercent())));
            } else {
                warn.accept("fault.delay needs fixedDelay (exponentialDelay is not supported); delay ignored");
            }
        }
        var abort = fault.getAbort();
        if (abort != null) {
            FaultAbort.Builder envoy = FaultAbort.newBuilder().setPercentage(percentage(abort.getPercentage(), null));
            switch (abort.getErrorType()) {
                case HTTPFaultInjectionAbortHttpStatus http
                when http.getHttpStatus() != null -> out.setAbort(envoy.setHttpStatus(http.getHttpStatus()));
                case HTTPFaultInjectionAbortGrpcStatus grpc
                when grpc.getGrpcStatus() != null ->
                    grpcCode(grpc.getGrpcStatus())
                            .ifPresentOrElse(
                                    code -> out.setAbort(envoy.setGrpcStatus(code)),
                                    () -> warn.accept("fault.abort.grpcStatus '" + grpc.getGrpcStatus()
                                            + "' is not a gRPC status name; abort ignored"));
                case null, default -> warn.accept("fault.abort needs httpStatus or grpcStatus; abort ignored");
            }
        }
        if (!out.hasDelay() && !out.hasAbort()) {
            return Optional.empty();
        }
        return Optional.of(out.build());
    }

    private static FractionalPercent percentage(Percent percentage, Integer deprecatedPercent) {
        if (percentage != null) {
            return Percentages.of(percentage);
        }
        if (deprecatedPercent != null) {
            return Percentages.ofInteger(deprecatedPercent);
        }
        return Percentages.all();
    }

    private static Optional<Integer> grpcCode(String name) {
        try {
            return Optional.of(
                    Status.Code.valueOf(name.toUpperCase(Locale.ROOT)).value());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
