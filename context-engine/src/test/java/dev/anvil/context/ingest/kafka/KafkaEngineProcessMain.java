package dev.anvil.context.ingest.kafka;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;

/**
 * The engine consuming a documents topic as a separate process, for tests that kill it. Arguments:
 * index dir, policy pack dir, bootstrap servers, topic, group. Prints {@code READY} once consuming;
 * SIGTERM stops it gracefully.
 */
public final class KafkaEngineProcessMain {
  private KafkaEngineProcessMain() {}

  public static void main(String[] args) {
    PolicyPack pack = new PolicyPack(Path.of(args[1]));
    PrincipalDirectory people = PrincipalDirectory.load(pack.principalsFile());
    ContextEngine engine =
        ContextEngine.open(
            Path.of(args[0]),
            PolicyStore.open(pack),
            OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1));
    KafkaIngestor ingestor =
        KafkaIngestor.start(
            engine,
            KafkaIngestor.Config.defaults(args[2], args[4]).withTopic(args[3]).withMaxBatch(32),
            people.find("kafka-connector").orElseThrow(),
            OpenTelemetry.noop());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  ingestor.close();
                  engine.close();
                }));
    System.out.println("READY");
    System.out.flush();
  }
}
