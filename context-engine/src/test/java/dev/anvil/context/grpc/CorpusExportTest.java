package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.grpc.v1.Chunk;
import dev.anvil.context.grpc.v1.ExportCorpusRequest;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.GrpcServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training corpus over gRPC: only what the caller may train on (the train filter inside the index
 * query), in document id then chunk order, page by page, audited, within the limits.
 */
class CorpusExportTest {
  @TempDir Path dir;
  ContextEngine engine;
  AuditLog audit;
  GrpcServer server;
  DevTokenIssuer issuer;
  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());

  static Document doc(String id, String body, String classification, String department) {
    return new Document(
        id,
        1,
        "Title " + id,
        body,
        "test://" + id,
        Map.of("classification", classification, "department", List.of(department)));
  }

  @BeforeEach
  void start() {
    engine =
        ContextEngine.open(
            dir.resolve("index"),
            PolicyStore.open(TestPacks.example()),
            HashEmbedder.of("hash", 8).withMaxTokens(32));
    Principal connector = people.find("kafka-connector").orElseThrow();
    engine.ingest(
        connector,
        List.of(
            doc("eng-b", "Kernel notes.", "internal", "engineering"),
            doc("eng-a", "word ".repeat(60).strip(), "confidential", "engineering"), // 4 chunks
            doc("eng-c", "Secret roadmap.", "restricted", "engineering"), // past mia's clearance
            doc("hr-1", "Salary bands.", "confidential", "hr"),
            doc("fin-1", "Forecast.", "internal", "finance"),
            doc("eng-d", "Release plan.", "internal", "engineering")));
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("key.json"), Clock.systemUTC());
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    server = ContextServer.start("127.0.0.1", 0, engine, issuer.verifier(), audit);
  }

  @AfterEach
  void stop() {
    server.close();
    engine.close();
    audit.close();
  }

  ContextClient client(String name) {
    String token = issuer.mint(people.find(name).orElseThrow(), "test", Duration.ofMinutes(5));
    return ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(30));
  }

  static List<Chunk> all(ContextClient.CorpusPage page) {
    return page.chunks();
  }

  static List<String> keys(List<Chunk> chunks) {
    return chunks.stream().map(c -> c.getDocumentId() + "#" + c.getChunk()).toList();
  }

  static ExportCorpusRequest.Builder request() {
    return ExportCorpusRequest.newBuilder();
  }

  @Test
  void onlyWhatTheCallerMayTrainOnInIdThenChunkOrder() {
    try (ContextClient mia = client("mia")) {
      List<Chunk> corpus = all(mia.exportCorpus(request().build()));
      assertThat(keys(corpus))
          .containsExactly("eng-a#0", "eng-a#1", "eng-a#2", "eng-a#3", "eng-b#0", "eng-d#0");
      assertThat(corpus)
          .allSatisfy(
              c -> {
                assertThat(c.getPoliciesList())
                    .containsExactly("ml-engineers-train-on-what-they-read");
                assertThat(c.getTagsMap().get("department").getValuesList())
                    .containsExactly("engineering");
              });
      assertThat(corpus.get(4).getText()).isEqualTo("Kernel notes.");
      // A tag query narrows it; a department mia may not train on is simply empty.
      assertThat(
              keys(
                  all(
                      mia.exportCorpus(
                          request()
                              .putTags(
                                  "classification",
                                  TagValues.newBuilder().addValues("internal").build())
                              .build()))))
          .containsExactly("eng-b#0", "eng-d#0");
      assertThat(
              all(
                  mia.exportCorpus(
                      request()
                          .putTags("department", TagValues.newBuilder().addValues("hr").build())
                          .build())))
          .isEmpty();
    }
    try (ContextClient alice = client("alice")) {
      // alice reads engineering's documents but may not train on them: nothing, as if absent.
      assertThat(all(alice.exportCorpus(request().build()))).isEmpty();
    }
  }

  @Test
  void pagesCoverTheCorpusOnceInOrder() {
    try (ContextClient mia = client("mia")) {
      List<String> seen = new ArrayList<>();
      String after = "";
      for (int page = 0; page < 10; page++) {
        List<Chunk> chunks =
            all(mia.exportCorpus(request().setMaxChunks(2).setAfterDocumentId(after).build()));
        if (chunks.isEmpty()) {
          break;
        }
        seen.addAll(keys(chunks));
        after = chunks.getLast().getDocumentId();
      }
      // Pages of whole documents: eng-a's four chunks come together though the page holds two.
      assertThat(seen)
          .containsExactly("eng-a#0", "eng-a#1", "eng-a#2", "eng-a#3", "eng-b#0", "eng-d#0");
    }
  }

  @Test
  void theExportIsAuditedWithTheDocumentsItSentAndThePageNamesThePolicyVersion() throws Exception {
    try (ContextClient mia = client("mia")) {
      assertThat(mia.exportCorpus(request().build()).policyVersion())
          .isEqualTo(engine.policies().current().version());
    }
    assertThat(Files.readAllLines(dir.resolve("audit.jsonl")))
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains("\"subject\":\"mia\"")
                    .contains("\"action\":\"export_corpus\"")
                    .contains("\"document_ids\":[\"eng-a\",\"eng-b\",\"eng-d\"]")
                    .contains(
                        "\"policy_version\":\"" + engine.policies().current().version() + "\"")
                    .contains("\"status\":\"OK\""));
  }

  @Test
  void badRequestsNameTheFieldAndTheLimit() {
    try (ContextClient mia = client("mia")) {
      assertRefused(
          () -> all(mia.exportCorpus(request().setMaxChunks(10_001).build())),
          "max_chunks: expected 1 to 10000, was 10001");
      assertRefused(
          () ->
              all(
                  mia.exportCorpus(
                      request()
                          .putTags("colour", TagValues.newBuilder().addValues("red").build())
                          .build())),
          "filter.colour: unknown tag");
      assertRefused(
          () -> all(mia.exportCorpus(request().setAfterDocumentId("x".repeat(513)).build())),
          "after_document_id: expected a document id of at most 512 characters, was 513");
      ExportCorpusRequest.Builder many = request();
      for (int i = 0; i < 17; i++) {
        many.putTags("t" + i, TagValues.newBuilder().addValues("x").build());
      }
      assertRefused(() -> all(mia.exportCorpus(many.build())), "limit max-filter-tags");
    }
  }

  static void assertRefused(Runnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining(message);
  }
}
