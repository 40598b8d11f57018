package dev.anvil.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Which Kafka cluster, and how to reach it: {@code --kafka}, {@code --kafka-config}. */
final class KafkaOptions {
  @Option(
      names = "--kafka",
      paramLabel = "HOST:PORT[,...]",
      description = "Kafka bootstrap servers of the documents topic.")
  String bootstrap;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "Kafka client properties for the cluster (security.protocol, sasl.*, ssl.*, ...).")
  Path config;

  boolean enabled() {
    return bootstrap != null && !bootstrap.isBlank();
  }

  /** Client settings: the properties file, then the bootstrap servers. */
  Map<String, Object> client() {
    Map<String, Object> c = new HashMap<>();
    if (config != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(config)) {
        p.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read --kafka-config " + config, e);
      }
      p.forEach((k, v) -> c.put(k.toString(), v));
    }
    c.put("bootstrap.servers", bootstrap);
    return c;
  }
}
