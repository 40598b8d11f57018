package dev.anvil.rbac;

import java.security.SecureRandom;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * One seed per test run for every randomized test (Lucene's randomized testing): {@code
 * -Danvil.seed=N} replays a run, and without it a fresh seed is drawn. A test class that draws from
 * it registers this extension ({@code @ExtendWith(TestSeed.class)}), and any failure of the class,
 * in a test or in its set-up, prints the line that reproduces it:
 *
 * <pre>NOTE: reproduce with: ./mvnw -pl MODULE test -Dtest=Class#method -Danvil.seed=N</pre>
 */
public final class TestSeed implements TestWatcher, LifecycleMethodExecutionExceptionHandler {
  /** The seed of this run. */
  public static final long RUN = Long.getLong("anvil.seed", new SecureRandom().nextLong());

  /** A generator for one purpose of a test (the same name, the same numbers in a run). */
  public static Random random(String purpose) {
    return new Random(RUN ^ (purpose.hashCode() * 0x9E3779B97F4A7C15L));
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    note(context);
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable t)
      throws Throwable {
    note(context);
    throw t;
  }

  @Override
  public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable t)
      throws Throwable {
    note(context);
    throw t;
  }

  private static void note(ExtensionContext context) {
    String test =
        context.getRequiredTestClass().getSimpleName()
            + context.getTestMethod().map(m -> "#" + m.getName()).orElse("");
    String module =
        Optional.ofNullable(System.getProperty("user.dir"))
            .map(d -> java.nio.file.Path.of(d).getFileName().toString())
            .orElse("MODULE");
    System.err.printf(
        "NOTE: reproduce with: ./mvnw -pl %s test -Dtest=%s -Danvil.seed=%d%n", module, test, RUN);
  }
}
