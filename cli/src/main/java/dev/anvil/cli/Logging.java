package dev.anvil.cli;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Configures logging once, before anything logs: one level for Anvil and every library (Lucene and
 * ONNX Runtime log through {@code java.util.logging}, which is routed into SLF4J here).
 *
 * <p>Servers ({@code serve}, {@code train serve}, {@code train worker}, {@code kafka-broker}) log
 * at {@code info} for their operators; every other command prints its own results and logs warnings
 * only, so a new user sees Anvil's output. {@code ANVIL_LOG_LEVEL} (trace, debug, info, warn,
 * error) sets the level for any command.
 */
final class Logging {
  private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error");

  private static final String VECTORIZATION =
      "org.slf4j.simpleLogger.log.org.apache.lucene.internal.vectorization";

  private Logging() {}

  /** The level for a command line and environment; refuses an unknown level by name. */
  static String level(String[] args, Map<String, String> env) {
    String asked = env.get("ANVIL_LOG_LEVEL");
    if (asked != null && !asked.isBlank()) {
      String level = asked.strip().toLowerCase(Locale.ROOT);
      if (!LEVELS.contains(level)) {
        throw new IllegalArgumentException(
            "ANVIL_LOG_LEVEL: expected one of trace, debug, info, warn, error; was '"
                + asked
                + "'");
      }
      return level;
    }
    return isServer(args) ? "info" : "warn";
  }

  private static boolean isServer(String[] args) {
    String first = args.length > 0 ? args[0] : "";
    String second = args.length > 1 ? args[1] : "";
    return first.equals("serve")
        || first.equals("kafka-broker")
        || (first.equals("train") && (second.equals("serve") || second.equals("worker")));
  }

  /**
   * Sets the level (unless {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} did) and the bridge.
   */
  static void configure(String[] args, Map<String, String> env) {
    String level = level(args, env);
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    }
    if (!isServer(args) && System.getProperty(VECTORIZATION) == null) {
      // ./anvil gives short commands no Vector API on purpose (see the script); Lucene's warning
      // that it is missing is expected there. Servers get the module, and the warning if not.
      System.setProperty(VECTORIZATION, "error");
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    // java.util.logging drops records below its own level before they reach the bridge.
    java.util.logging.Logger.getLogger("")
        .setLevel(
            switch (level) {
              case "trace" -> Level.FINEST;
              case "debug" -> Level.FINE;
              default -> Level.INFO;
            });
  }
}
