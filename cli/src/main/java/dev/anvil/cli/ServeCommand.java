package dev.anvil.cli;

import dev.anvil.console.ConsoleServer;
import dev.anvil.console.SignIn;
import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.audit.AuditShipper;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.Admission;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.context.ingest.kafka.KafkaIngestor;
import dev.anvil.context.judging.EngineCorpus;
import dev.anvil.context.mcp.McpHttpServer;
import dev.anvil.context.mcp.McpTools;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.TokenVerifier;
import dev.anvil.judge.Judging;
import dev.anvil.judge.kafka.KafkaJudgmentEvents;
import dev.anvil.judge.kafka.OutboxPublisher;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.store.Store;
import io.opentelemetry.api.GlobalOpenTelemetry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code anvil serve}: the context engine's gRPC server. */
@Command(
    name = "serve",
    description = {
      "Serve the context engine over gRPC (health and reflection included), MCP with"
          + " --mcp-port, and the admin console with --console-port.",
      "Trusts tokens of --issuer, or of the local development issuer with --dev."
    },
    mixinStandardHelpOptions = true)
final class ServeCommand implements Callable<Integer> {
  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin Identities.IssuerOptions issuer;
  @Mixin LimitOptions limits;
  @Mixin KafkaOptions kafka;
  @Mixin ListenOptions listen;
  @Mixin McpOptions mcp;
  @Mixin StoreOptions storeOptions;
  @Mixin ConsoleOptions console;

  @Option(
      names = "--rollback-hours",
      defaultValue = "24",
      paramLabel = "HOURS",
      description =
          "How long the previous model is kept for anvil model rollback after a switch: while it"
              + " is, every write is embedded twice (0: until the next switch; default:"
              + " ${DEFAULT-VALUE}).")
  double rollbackHours;

  @Option(
      names = "--merge-quiet-seconds",
      defaultValue = "60",
      paramLabel = "SECONDS",
      description =
          "Once no write came for this long, the embedded index merges the segments a bulk load"
              + " left into one, where filtered searches cost least (0: never; a cluster merges"
              + " its own; default: ${DEFAULT-VALUE}).")
  long mergeQuietSeconds;

  @Option(
      names = "--judgments-topic",
      paramLabel = "TOPIC",
      defaultValue = "anvil.judgments",
      description = "With --kafka, judgments also go to this topic (default: ${DEFAULT-VALUE}).")
  String judgmentsTopic;

  @Option(
      names = "--kafka-group",
      paramLabel = "GROUP",
      description =
          "Consumer group of this replica (default: anvil-context-engine-<host name>). Every"
              + " replica reads every partition into its own full index. With --backend"
              + " elasticsearch or opensearch the replicas share one index and one group for the documents"
              + " topics, anvil-context-engine-<es-index-prefix>chunks, so each record is indexed"
              + " once; this group then names only the audit shipper.")
  String group;

  @Option(
      names = "--kafka-topics",
      paramLabel = "TOPIC=PRINCIPAL",
      split = ",",
      defaultValue = "anvil.documents=kafka-connector",
      description = {
        "With --kafka, each documents topic and the one identity (principals.yaml) that writes"
            + " every record of it (default: ${DEFAULT-VALUE}); comma-separated or repeated.",
        "A record cannot name another writer. Give each source its own topic and connector"
            + " identity, and let Kafka's ACLs decide who may produce to each (docs/kafka.md)."
      })
  List<String> topics;

  @Option(
      names = "--audit-topic",
      paramLabel = "TOPIC",
      defaultValue = "anvil.audit",
      description = "With --kafka, audit events also go to this topic (default: ${DEFAULT-VALUE}).")
  String auditTopic;

  @Override
  public Integer call() throws Exception {
    // Bad TLS or issuer options fail before anything loads. The verifier maps attributes as the
    // policies in force say, once the engine holds them.
    ServerTransport transport = listen.transport();
    if (!(rollbackHours >= 0)) {
      throw new dev.anvil.context.api.ContextException(
          "--rollback-hours: expected 0 or more, not " + rollbackHours);
    }
    if (mergeQuietSeconds < 0) {
      throw new dev.anvil.context.api.ContextException(
          "--merge-quiet-seconds: expected 0 or more, not " + mergeQuietSeconds);
    }
    Limits serverLimits = limits.limits();
    AtomicReference<ContextEngine> opened = new AtomicReference<>();
    TokenVerifier verifier = issuer.verifier(() -> opened.get().policies().current().schema());
    OnnxEmbedder embedder = engineOptions.embedder();
    ContextEngine engine = engineOptions.open(pack, embedder);
    opened.set(engine);
    if (rollbackHours > 0) {
      engine.keepRollbackFor(java.time.Duration.ofMillis((long) (rollbackHours * 3_600_000)));
    }
    if (mergeQuietSeconds > 0) {
      engine.mergeWhenQuiet(java.time.Duration.ofSeconds(mergeQuietSeconds));
    }
    AuditLog audit = AuditLog.open(Identities.dataDir().resolve("audit.jsonl"));
    // One admission for both listeners: a caller's rate and the searches at once are one budget.
    Admission admission = new Admission(serverLimits);
    // Judgments live in the store; with Kafka, its outbox is published to the judgments topic.
    Store store = storeOptions.open();
    Judging judging =
        Judging.open(store, new EngineCorpus(engine), java.time.Clock.systemUTC(), kafka.enabled());
    KafkaJudgmentEvents judgmentEvents =
        kafka.enabled() ? new KafkaJudgmentEvents(kafka.client(), judgmentsTopic) : null;
    OutboxPublisher judgments =
        judgmentEvents != null
            ? OutboxPublisher.start(store, judgmentEvents, java.time.Duration.ofMillis(200))
            : null;
    GrpcServer server =
        listen.withHealthPort(
            ContextServer.start(
                listen.host,
                listen.port(7070),
                transport,
                engine,
                verifier,
                audit,
                serverLimits,
                admission,
                GlobalOpenTelemetry.get(),
                java.util.Optional.of(judging)));
    McpHttpServer mcpServer = null;
    if (mcp.enabled()) {
      String trusted = issuer.dev ? DevTokenIssuer.ISSUER : issuer.issuer();
      mcpServer =
          McpHttpServer.start(
              listen.host,
              mcp.port,
              transport,
              issuer.verifierFor(mcp.audience, () -> opened.get().policies().current().schema()),
              new McpTools(
                  engine,
                  audit,
                  admission,
                  serverLimits,
                  java.time.Clock.systemUTC(),
                  GlobalOpenTelemetry.get(),
                  java.util.Optional.of(judging)),
              mcp.options(trusted));
    }
    ConsoleServer consoleServer = null;
    if (console.enabled()) {
      SignIn signIn =
          console.signIn(issuer, pack.pack(), () -> opened.get().policies().current().schema());
      consoleServer =
          ConsoleServer.start(
              listen.host,
              console.port,
              transport,
              new ConsoleServer.Backend(
                  engine, audit, java.util.Optional.of(judging), console.jobs()),
              console.options(signIn, pack.pack(), engineOptions.modelsDir()),
              java.time.Clock.systemUTC());
    }
    if (listen.policyReload > 0) {
      engine.policies().reloadEvery(java.time.Duration.ofSeconds(listen.policyReload));
    }
    List<KafkaIngestor> ingestors = new ArrayList<>();
    AuditShipper shipper = null;
    if (kafka.enabled()) {
      PrincipalDirectory people = PrincipalDirectory.load(pack.pack().principalsFile());
      List<TopicBinding> bindings = TopicBinding.parse(topics, people);
      String replica = group != null ? group : "anvil-context-engine-" + hostName();
      String documents =
          engine.sharedIndex()
              ? KafkaIngestor.sharedGroup(engineOptions.backend.prefix)
              : replica; // one writer per shared cluster index; every replica its own index
      for (TopicBinding b : bindings) {
        ingestors.add(
            KafkaIngestor.start(
                engine,
                new KafkaIngestor.Config(
                    kafka.client(), b.topic(), b.topic() + ".dlq", documents, 128),
                b.principal(),
                audit.recorder(
                    b.principal().subject(),
                    b.principal().subject(),
                    "kafka:" + b.topic(),
                    engine::modelId),
                GlobalOpenTelemetry.get()));
        pack.out()
            .printf(
                "anvil: consuming %s from %s as group %s, written by %s%n",
                b.topic(), kafka.bootstrap, documents, b.principal().subject());
      }
      shipper = AuditShipper.start(audit, kafka.client(), auditTopic, replica);
      pack.out().printf("anvil: audit events to %s%n", auditTopic);
    }
    List<KafkaIngestor> consuming = ingestors;
    AuditShipper shipping = shipper;
    McpHttpServer mcpServing = mcpServer;
    ConsoleServer consoleServing = consoleServer;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (mcpServing != null) {
                    mcpServing.close();
                  }
                  if (consoleServing != null) {
                    consoleServing.close();
                  }
                  server.close();
                  consuming.forEach(KafkaIngestor::close); // each drains its queue and commits
                  if (shipping != null) {
                    shipping.close();
                  }
                  if (judgments != null) {
                    judgments.close();
                    judgmentEvents.close();
                  }
                  store.close();
                  engine.close(); // commits the index
                  audit.close();
                  embedder.close();
                }));
    pack.out()
        .printf(
            "anvil: serving %d chunks on %s:%d (%s, policy %s, model %s, %s), audit in %s%n",
            engine.chunkCount(),
            listen.host,
            server.port(),
            listen.describe(),
            engine.policies().current().version(),
            engine.modelId(),
            issuer.dev ? "development issuer" : "issuer " + issuer.issuer(),
            audit.file());
    if (mcpServer != null) {
      pack.out()
          .printf(
              "anvil: MCP on %s://%s:%d%s (tokens for %s)%n",
              transport instanceof ServerTransport.Tls ? "https" : "http",
              listen.host,
              mcpServer.port(),
              McpHttpServer.PATH,
              mcp.audience);
    }
    if (consoleServer != null) {
      pack.out()
          .printf(
              "anvil: console on %s://%s:%d/ (%s)%n",
              transport instanceof ServerTransport.Tls ? "https" : "http",
              listen.host,
              consoleServer.port(),
              issuer.dev ? "development sign-in" : "sign-in through " + issuer.issuer());
    }
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
