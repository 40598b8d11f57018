package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.audit.AuditShipper;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.context.ingest.kafka.KafkaIngestor;
import dev.anvil.identity.TokenVerifier;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rpc.GrpcServer;
import io.opentelemetry.api.GlobalOpenTelemetry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code anvil serve}: the context engine's gRPC server. */
@Command(
    name = "serve",
    description = {
      "Serve the context engine over gRPC (health and reflection included).",
      "Trusts tokens of --issuer, or of the local development issuer with --dev."
    },
    mixinStandardHelpOptions = true)
final class ServeCommand implements Callable<Integer> {
  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin Identities.IssuerOptions issuer;
  @Mixin KafkaOptions kafka;
  @Mixin ListenOptions listen;

  @Option(
      names = "--kafka-group",
      paramLabel = "GROUP",
      description =
          "Consumer group of this replica (default: anvil-context-engine-<host name>). Every"
              + " replica reads every partition into its own full index.")
  String group;

  @Option(
      names = "--kafka-principal",
      paramLabel = "NAME",
      defaultValue = "kafka-connector",
      description =
          "Principal (principals.yaml) of records that name none (default: ${DEFAULT-VALUE}).")
  String connector;

  @Option(
      names = "--audit-topic",
      paramLabel = "TOPIC",
      defaultValue = "anvil.audit",
      description = "With --kafka, audit events also go to this topic (default: ${DEFAULT-VALUE}).")
  String auditTopic;

  @Override
  public Integer call() throws Exception {
    TokenVerifier verifier = issuer.verifier(); // refuses to start without an issuer or --dev
    OnnxEmbedder embedder = engineOptions.embedder();
    ContextEngine engine = engineOptions.open(pack, embedder);
    AuditLog audit = AuditLog.open(Identities.dataDir().resolve("audit.jsonl"));
    GrpcServer server =
        ContextServer.start(listen.host, listen.port(7070), engine, verifier, audit);
    if (listen.policyReload > 0) {
      engine.policies().reloadEvery(java.time.Duration.ofSeconds(listen.policyReload));
    }
    KafkaIngestor ingestor = null;
    AuditShipper shipper = null;
    if (kafka.enabled()) {
      PrincipalDirectory people = PrincipalDirectory.load(pack.pack().principalsFile());
      Principal self =
          people
              .find(connector)
              .orElseThrow(
                  () ->
                      new RbacException(
                          "--kafka-principal: no principal '"
                              + connector
                              + "' in principals.yaml"));
      String replica = group != null ? group : "anvil-context-engine-" + hostName();
      ingestor =
          KafkaIngestor.start(
              engine,
              new KafkaIngestor.Config(
                  kafka.client(), kafka.topic, kafka.topic + ".dlq", replica, 128),
              self,
              people::find,
              GlobalOpenTelemetry.get());
      shipper = AuditShipper.start(audit.file(), kafka.client(), auditTopic, replica);
      pack.out()
          .printf(
              "anvil: consuming %s from %s as group %s; audit events to %s%n",
              kafka.topic, kafka.bootstrap, replica, auditTopic);
    }
    KafkaIngestor consuming = ingestor;
    AuditShipper shipping = shipper;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  if (consuming != null) {
                    consuming.close(); // drains the queue and commits
                    shipping.close();
                  }
                  engine.close(); // commits the index
                  audit.close();
                  embedder.close();
                }));
    pack.out()
        .printf(
            "anvil: serving %d chunks on %s:%d (policy %s, model %s, %s), audit in %s%n",
            engine.chunkCount(),
            listen.host,
            server.port(),
            engine.policies().current().version(),
            engine.modelId(),
            issuer.dev ? "development issuer" : "issuer " + issuer.issuer(),
            audit.file());
    pack.out().flush();
    server.awaitTermination();
    return 0;
  }

  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "local";
    }
  }
}
