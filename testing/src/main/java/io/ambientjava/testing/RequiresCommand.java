package io.ambientjava.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that drives real external programs (openssl, curl, nft, ...). When one is not on the
 * PATH the test is skipped with its name; under {@code CI=true} that skip fails the run, since
 * {@code .ci/run} installs them.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(EnvironmentRequirementCondition.class)
public @interface RequiresCommand {
    String[] value();
}
