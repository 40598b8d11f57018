package dev.anvil.cli;

import dev.anvil.devkafka.LocalKafka;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code anvil kafka-broker}: a development Kafka broker on 127.0.0.1 (scripts/kafka.sh). */
@Command(
    name = "kafka-broker",
    description = {
      "Run a single-node Apache Kafka broker (KRaft) on 127.0.0.1 for development and demos.",
      "In production, point `anvil serve --kafka` at your own cluster instead."
    },
    mixinStandardHelpOptions = true)
final class KafkaBrokerCommand implements Callable<Integer> {
  @Mixin PolicyCommand.PackOption pack;

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "Client port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "Broker data (default: <data dir>/kafka); kept across restarts.")
  Path dir;

  @Override
  public Integer call() throws Exception {
    Path data = dir != null ? dir : Identities.dataDir().resolve("kafka");
    LocalKafka kafka = LocalKafka.start(data, port);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.stop();
                  stopped.countDown();
                }));
    pack.out()
        .printf(
            "anvil: Kafka broker on %s (data in %s); Ctrl-C to stop%n",
            kafka.bootstrapServers(), data);
    pack.out().flush();
    stopped.await();
    return 0;
  }
}
