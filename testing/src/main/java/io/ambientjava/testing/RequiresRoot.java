package io.ambientjava.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that needs root (network namespaces, nftables, BPF). Without root it is skipped with the
 * reason; under {@code CI=true} the skip becomes a failure, because CI runs as root and must run it.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(EnvironmentRequirementCondition.class)
public @interface RequiresRoot {}
