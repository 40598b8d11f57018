package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.context.grpc.v1.SearchRequest;
import dev.anvil.context.grpc.v1.SearchResponse;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rpc.GrpcServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code anvil demo}: Acme's sample corpus in a fresh local index, the real gRPC server on
 * 127.0.0.1, and the same question asked by an engineer, an HR compensation reader and a
 * contractor, each with a development token.
 */
@Command(
    name = "demo",
    description = "Index Acme's sample corpus and ask one question as three different users.",
    mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer> {
  static final List<String> USERS = List.of("alice", "hannah", "carl");

  @Mixin PolicyCommand.PackOption pack;

  @Option(
      names = "--question",
      defaultValue = "What is planned for 2027, and how do salaries change?",
      description = "The question (default: ${DEFAULT-VALUE}).")
  String question;

  @Option(
      names = "--serve",
      description = "Keep serving on 127.0.0.1:7070 afterwards (Ctrl-C to stop).")
  boolean serve;

  @Option(
      names = "--kafka",
      description =
          "Feed the corpus through a real Kafka broker started on 127.0.0.1, with one untagged"
              + " record that goes to the dead-letter topic.")
  boolean kafka;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = pack.out();
    PolicyPack policies = pack.pack();
    Path corpus = policies.dir().getParent().resolve("demo-corpus");
    Path dir = Identities.dataDir().resolve("demo");
    deleteRecursively(dir);
    PrincipalDirectory people = PrincipalDirectory.load(policies.principalsFile());
    DevTokenIssuer issuer = Identities.devIssuer();

    out.printf("Anvil demo: policy pack %s, corpus %s%n", policies.dir(), corpus);
    try (OnnxEmbedder embedder =
            OnnxEmbedder.open(dev.anvil.context.embed.ModelSource.packagedMiniLm(), 1);
        ContextEngine engine =
            ContextEngine.open(dir.resolve("index"), PolicyStore.open(policies), embedder);
        AuditLog audit = AuditLog.open(dir.resolve("audit.jsonl"))) {
      List<Document> docs = DocumentFiles.read(List.of(corpus), Map.of());
      if (kafka) {
        DemoKafka.ingest(out, dir.resolve("kafka"), engine, people, docs, audit);
      } else {
        // Each source's documents as that source's connector (documents without one: the
        // intranet's kafka-connector): no identity writes every source.
        Map<String, List<Document>> bySource = new java.util.TreeMap<>();
        docs.forEach(
            d ->
                bySource
                    .computeIfAbsent(
                        d.tags().containsKey("source")
                            ? d.tags().get("source") + "-connector"
                            : "kafka-connector",
                        w -> new java.util.ArrayList<>())
                    .add(d));
        long indexed = 0;
        for (var e : bySource.entrySet()) {
          Principal writer = people.find(e.getKey()).orElseThrow();
          indexed +=
              engine
                  .ingest(writer, e.getValue(), EngineOptions.recorder(audit, writer, engine))
                  .stream()
                  .filter(o -> o instanceof IngestOutcome.Indexed)
                  .count();
        }
        out.printf(
            "ingested %d documents (%d chunks) as %s, model %s%n",
            indexed, engine.chunkCount(), String.join(", ", bySource.keySet()), engine.modelId());
      }

      try (GrpcServer server =
          ContextServer.start(
              "127.0.0.1",
              serve ? 7070 : 0,
              engine,
              issuer.verifier(() -> engine.policies().current().schema()),
              audit)) {
        out.printf("gRPC server on 127.0.0.1:%d (development issuer)%n%n", server.port());
        out.printf("Question: \"%s\"%n", question);
        for (String user : USERS) {
          Principal who = people.find(user).orElseThrow();
          String token = issuer.mint(who, "demo-agent", Duration.ofMinutes(5));
          try (ContextClient client =
              ContextClient.connect(
                  "127.0.0.1", server.port(), () -> token, Duration.ofSeconds(30))) {
            SearchResponse res =
                client.search(SearchRequest.newBuilder().setQuery(question).setTopK(4).build());
            out.printf(
                "%n== as %s (%s; roles %s, groups %s, clearance %s) ==%n",
                user,
                people.description(user).orElse(user),
                who.roles(),
                who.groups(),
                who.attribute("clearance").orElse("-"));
            Output.chunks(out, res.getChunksList());
          }
        }
        out.printf(
            "%nEvery answer was filtered inside the index by the user's compiled policy (%s);%n",
            engine.policies().current().version());
        out.printf("every call is in the audit log %s.%n", audit.file());
        out.println(
            "Try: ./anvil policy compile --as carl    ./anvil policy explain --as alice --tag classification=confidential --tag department=hr --tag topics=compensation");
        out.flush();
        if (serve) {
          out.println("serving on 127.0.0.1:7070; Ctrl-C to stop");
          out.flush();
          server.awaitTermination();
        }
      }
    }
    return 0;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
