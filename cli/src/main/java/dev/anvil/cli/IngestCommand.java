package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.ProtoMapping;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.context.ingest.kafka.DocumentProducer;
import dev.anvil.context.ingest.kafka.DocumentRecord;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.input.RbacException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import me.tongfei.progressbar.ProgressBar;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code anvil ingest PATH...}: documents into the local index, into a running engine over gRPC
 * ({@code --server}), or to the documents topic.
 */
@Command(
    name = "ingest",
    description = {
      "Ingest files (one document each) or JSON lines into the local index, as a principal.",
      "With --server, send them to a running anvil serve instead (its Ingest stream, as that"
          + " principal's token).",
      "With --kafka, produce them to the documents topic instead (--as names the principal the"
          + " records carry; without it the consuming engine's own)."
    },
    mixinStandardHelpOptions = true)
final class IngestCommand implements Callable<Integer> {
  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin PolicyCommand.PrincipalOptions principal;
  @Mixin KafkaOptions kafka;

  @Option(
      names = "--kafka-topic",
      paramLabel = "TOPIC",
      defaultValue = "anvil.documents",
      description =
          "With --kafka, the documents topic to produce to (default: ${DEFAULT-VALUE}); the"
              + " identity it is bound to writes the records.")
  String topic;

  @Parameters(
      paramLabel = "PATH",
      arity = "1..*",
      description = "Files or directories; *.jsonl holds one JSON document per line.")
  List<Path> paths;

  @Option(
      names = "--tag",
      paramLabel = "TAG=VALUE[,VALUE]",
      description = "A tag for every document (set tags: comma-separated values).")
  Map<String, String> tags = new LinkedHashMap<>();

  @Mixin ClientTlsOptions tls;

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      description = "Send them to a running anvil serve instead of the local index.")
  String server;

  @Option(
      names = "--batch",
      defaultValue = "32",
      description = "Documents embedded and committed together (default: ${DEFAULT-VALUE}).")
  int batch;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> extra = new LinkedHashMap<>();
    tags.forEach((k, v) -> extra.put(k, v.contains(",") ? List.of(v.split(",")) : v));
    List<Document> docs = DocumentFiles.read(paths, extra);
    if (kafka.enabled() && server != null) {
      throw new RbacException("choose one: --kafka (the documents topic) or --server (an engine)");
    }
    if (kafka.enabled()) {
      return produce(docs);
    }
    List<IngestOutcome> outcomes =
        server != null ? send(docs) : ingestLocally(principal.resolve(pack.pack()), docs);
    List<IngestOutcome> problems =
        outcomes.stream().filter(o -> !(o instanceof IngestOutcome.Indexed)).toList();
    for (IngestOutcome o : problems) {
      pack.out().println(describe(o));
    }
    pack.out()
        .printf(
            "%d documents: %d indexed, %d not (see above)%n",
            docs.size(), outcomes.size() - problems.size(), problems.size());
    return problems.stream()
            .anyMatch(
                o ->
                    o instanceof IngestOutcome.Rejected
                        || o instanceof IngestOutcome.Denied
                        || o instanceof IngestOutcome.Conflict)
        ? Main.FAILED
        : 0;
  }

  /** Streams the documents to the engine at --server with the principal's token. */
  private List<IngestOutcome> send(List<Document> docs) throws Exception {
    HostPort hp = HostPort.parse("--server", server);
    String token = principal.bearer(pack.pack());
    List<IngestOutcome> outcomes = new ArrayList<>();
    try (ContextClient client =
            ContextClient.connect(
                hp.host(), hp.port(), tls.transport(hp), () -> token, Duration.ofMinutes(10));
        ProgressBar bar = Progress.bar("ingest", docs.size())) {
      for (int i = 0; i < docs.size(); i += batch) {
        List<dev.anvil.context.grpc.v1.Document> messages =
            docs.subList(i, Math.min(docs.size(), i + batch)).stream()
                .map(ProtoMapping::message)
                .toList();
        List<IngestResult> results;
        try {
          results = client.ingest(messages).get();
        } catch (ExecutionException e) {
          // The call's own error (a gRPC status: refused token, limits), not the future's wrapper.
          throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        for (IngestResult r : results) {
          outcomes.add(ProtoMapping.outcome(r));
        }
        bar.stepTo(Math.min(docs.size(), i + batch));
      }
    }
    return outcomes;
  }

  private List<IngestOutcome> ingestLocally(Principal who, List<Document> docs) throws Exception {
    List<IngestOutcome> outcomes = new ArrayList<>();
    try (AuditLog log = engineOptions.openAudit();
        OnnxEmbedder embedder = engineOptions.embedder();
        ContextEngine engine = engineOptions.open(pack, embedder);
        ProgressBar bar = Progress.bar("ingest", docs.size())) {
      WriteAudit audit = EngineOptions.recorder(log, who, engine);
      for (int i = 0; i < docs.size(); i += batch) {
        for (IngestOutcome o :
            engine.ingest(who, docs.subList(i, Math.min(docs.size(), i + batch)), audit)) {
          outcomes.add(o);
        }
        bar.stepTo(Math.min(docs.size(), i + batch));
      }
      engine.mergeSegments(); // a bulk load: searches cost least on one segment
    }
    return outcomes;
  }

  /** Sends the documents to the topic; the consuming engines validate and index them. */
  private int produce(List<Document> docs) throws Exception {
    if (principal.subject != null || principal.as != null) {
      throw new RbacException(
          "--kafka: records do not name who writes them; the identity the topic is bound to"
              + " (anvil serve --kafka-topic TOPIC=PRINCIPAL) does: drop --as");
    }
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    try (DocumentProducer producer = new DocumentProducer(kafka.client(), topic);
        ProgressBar bar = Progress.bar("produce", docs.size())) {
      for (Document d : docs) {
        acks.add(producer.send(new DocumentRecord.Upsert(d)));
      }
      for (Future<RecordMetadata> f : acks) {
        f.get();
        bar.step();
      }
    }
    pack.out()
        .printf(
            "%d documents produced to %s on %s; the consuming engines index them (bad ones go to"
                + " %s.dlq)%n",
            docs.size(), topic, kafka.bootstrap, topic);
    return 0;
  }

  static String describe(IngestOutcome o) {
    return switch (o) {
      case IngestOutcome.Indexed i ->
          "indexed  " + i.id() + " v" + i.version() + " (" + i.chunks() + " chunks)";
      case IngestOutcome.Ignored i ->
          "ignored  "
              + i.id()
              + " v"
              + i.version()
              + ": version "
              + i.indexedVersion()
              + " is already indexed";
      case IngestOutcome.Rejected r -> "rejected " + r.id() + ": " + r.reason();
      case IngestOutcome.Denied d -> "denied   " + d.id() + ": by policy " + d.policy();
      case IngestOutcome.Deleted d -> "deleted  " + d.id();
      case IngestOutcome.Conflict c ->
          "conflict " + c.id() + ": the id is taken by a document you may not replace";
    };
  }
}
