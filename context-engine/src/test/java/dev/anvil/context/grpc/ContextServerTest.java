package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.ThreeDocuments;
import dev.anvil.context.api.Document;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.grpc.v1.ContextServiceGrpc;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.context.grpc.v1.ModelStatus;
import dev.anvil.context.grpc.v1.SearchRequest;
import dev.anvil.context.grpc.v1.SearchResponse;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.LoopbackSockets;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rpc.GrpcServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC service over a real server socket on 127.0.0.1, with real tokens. */
class ContextServerTest {
  @TempDir static Path data;
  private static ContextEngine engine;
  private static GrpcServer server;
  private static AuditLog audit;
  private static DevTokenIssuer issuer;
  private static PrincipalDirectory people;

  @BeforeAll
  static void start() {
    people = ThreeDocuments.people();
    engine = ThreeDocuments.engine(data.resolve("index"), SharedEmbedder.get());
    issuer = DevTokenIssuer.openOrCreate(data.resolve("dev-key.json"), Clock.systemUTC());
    audit = AuditLog.open(data.resolve("audit.jsonl"));
    server = ContextServer.start("127.0.0.1", 0, engine, issuer.verifier(), audit);
  }

  @AfterAll
  static void stop() {
    server.close();
    engine.close();
    audit.close();
  }

  private static String token(String who) {
    return issuer.mint(people.find(who).orElseThrow(), "test-agent", Duration.ofMinutes(5));
  }

  private static ContextClient client(String token) {
    return ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(20));
  }

  private static SearchRequest query(String q) {
    return SearchRequest.newBuilder().setQuery(q).setTopK(10).build();
  }

  private static void assertStatus(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(code))
        .hasMessageContaining(message);
  }

  @Test
  void usersGetOnlyWhatTheyMaySeeWithProvenance() {
    try (ContextClient alice = client(token("alice"));
        ContextClient hannah = client(token("hannah"))) {
      SearchResponse a = alice.search(query("kernel salary"));
      assertThat(a.getChunksList())
          .extracting(c -> c.getDocumentId())
          .containsExactlyInAnyOrder("eng-1", "pub-1");
      assertThat(a.getVisibleMatches()).isEqualTo(2);
      assertThat(a.getPolicyVersion()).startsWith("sha256:");
      assertThat(a.getModelId()).startsWith("all-minilm-l6-v2@");
      assertThat(a.getChunksList()).allSatisfy(c -> assertThat(c.getPoliciesList()).isNotEmpty());

      SearchResponse h = hannah.search(query("kernel salary"));
      assertThat(h.getChunksList())
          .extracting(c -> c.getDocumentId())
          .contains("hr-1")
          .doesNotContain("eng-1");
      assertThat(
              h.getChunksList().stream()
                  .filter(c -> c.getDocumentId().equals("hr-1"))
                  .findFirst()
                  .orElseThrow()
                  .getPoliciesList())
          .contains("hr-comp-readers-read-compensation");
    }
  }

  @Test
  void theAgentsOwnFilterOnlyNarrows() {
    try (ContextClient alice = client(token("alice"))) {
      SearchResponse narrowed =
          alice.search(
              query("kernel").toBuilder()
                  .putFilter(
                      "department",
                      TagValues.newBuilder().addValues("sales").addValues("hr").build())
                  .build());
      assertThat(narrowed.getChunksList())
          .extracting(c -> c.getDocumentId())
          .containsExactly("pub-1");
    }
  }

  @Test
  void missingBadExpiredAndForeignTokensAreUnauthenticated() throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      assertStatus(
          () -> ContextServiceGrpc.newBlockingStub(channel).search(query("kernel")),
          Status.Code.UNAUTHENTICATED,
          "expected 'authorization: Bearer <token>', found none");
    } finally {
      channel.shutdownNow();
    }
    try (ContextClient garbage = client("not.a.token")) {
      assertStatus(() -> garbage.search(query("kernel")), Status.Code.UNAUTHENTICATED, "MALFORMED");
    }
    String expired =
        issuer.mint(people.find("alice").orElseThrow(), "test-agent", Duration.ofMinutes(-5));
    try (ContextClient late = client(expired)) {
      assertStatus(() -> late.search(query("kernel")), Status.Code.UNAUTHENTICATED, "EXPIRED");
    }
    DevTokenIssuer other =
        DevTokenIssuer.openOrCreate(
            Files.createTempDirectory(data, "other").resolve("k.json"), Clock.systemUTC());
    try (ContextClient foreign =
        client(other.mint(Principal.of("mallory"), "x", Duration.ofMinutes(5)))) {
      assertStatus(
          () -> foreign.search(query("kernel")), Status.Code.UNAUTHENTICATED, "UNKNOWN_KEY");
    }
  }

  @Test
  void badRequestsNameTheField() {
    try (ContextClient alice = client(token("alice"))) {
      assertStatus(
          () -> alice.search(query("kernel").toBuilder().setTopK(5000).build()),
          Status.Code.INVALID_ARGUMENT,
          "top_k: at most 1000 chunks (limit max-top-k), was 5000");
      // The 1 MB query a new user tried answered INTERNAL (Lucene's TooManyClauses) before limits.
      assertStatus(
          () -> alice.search(query("kernel ".repeat(150_000))),
          Status.Code.INVALID_ARGUMENT,
          "query: at most 4096 characters (limit max-query-chars), was 1050000");
      assertStatus(
          () -> alice.search(query(" ")), Status.Code.INVALID_ARGUMENT, "query: expected text");
      assertStatus(
          () ->
              alice.search(
                  query("kernel").toBuilder()
                      .putFilter("colour", TagValues.newBuilder().addValues("red").build())
                      .build()),
          Status.Code.INVALID_ARGUMENT,
          "filter.colour: unknown tag");
      assertStatus(() -> alice.get(""), Status.Code.INVALID_ARGUMENT, "document_id");
    }
  }

  @Test
  void deniedActionsArePermissionDeniedAndHiddenDocumentsAreNotFound() {
    try (ContextClient alice = client(token("alice"))) {
      assertStatus(
          () -> alice.delete("pub-1"),
          Status.Code.PERMISSION_DENIED,
          "delete of 'pub-1' denied by default-deny");
      assertStatus(
          () -> alice.delete("hr-1"),
          Status.Code.NOT_FOUND,
          "no document 'hr-1' that you may read");
      assertStatus(() -> alice.get("hr-1"), Status.Code.NOT_FOUND, "hr-1");
      assertThat(alice.get("eng-1").getChunks(0).getText()).contains("kernel");
      // A refused get is a decision, not a filter disagreement.
      assertThat(engine.filterDisagreements()).isZero();
    }
  }

  private static dev.anvil.context.grpc.v1.Document engineering(
      String id, long version, String body) {
    return dev.anvil.context.grpc.v1.Document.newBuilder()
        .setId(id)
        .setVersion(version)
        .setBody(body)
        .putTags("classification", TagValues.newBuilder().addValues("internal").build())
        .putTags("department", TagValues.newBuilder().addValues("engineering").build())
        .build();
  }

  @Test
  void aWriterCannotReplaceADocumentItMayNotReadAndLearnsNothingOfIt() throws Exception {
    // alice may ingest engineering documents; hr-1 is HR compensation data she may not read.
    try (ContextClient alice = client(token("alice"))) {
      List<IngestResult> results =
          alice
              .ingest(
                  List.of(
                      engineering("hr-1", 99, "Salary bands are frozen."),
                      engineering("hr-1", 0, "Salary bands are frozen."),
                      engineering("hr-1", 1, "Salary bands are frozen.")))
              .get(60, TimeUnit.SECONDS);
      // The same answer whatever version was sent: nothing of the hidden document's version,
      // tags or classification, only that the id is taken.
      IngestResult conflict =
          IngestResult.newBuilder()
              .setDocumentId("hr-1")
              .setConflict(IngestResult.Conflict.getDefaultInstance())
              .build();
      assertThat(results).containsExactly(conflict, conflict, conflict);
    }
    try (ContextClient hannah = client(token("hannah"))) {
      assertThat(hannah.get("hr-1").getChunks(0).getText()).contains("bonus targets");
      assertThat(hannah.get("hr-1").getChunks(0).getVersion()).isEqualTo(1);
    }
  }

  @Test
  void aDocumentPastALimitIsRejectedNamingTheFieldAndTheRestOfTheStreamIsIndexed()
      throws Exception {
    try (ContextClient alice = client(token("alice"))) {
      List<IngestResult> results =
          alice
              .ingest(
                  List.of(
                      engineering(
                          "eng-huge", 1, "word ".repeat(Document.MAX_BODY_LENGTH / 5) + "one more"),
                      engineering("eng-3", 1, "A short note.")))
              .get(60, TimeUnit.SECONDS);
      assertThat(results.get(0).getRejected().getField()).isEqualTo("body");
      assertThat(results.get(0).getRejected().getReason())
          .endsWith("body: expected at most 2000000 characters, was 2000008");
      assertThat(results.get(1).hasIndexed()).isTrue();
    }
  }

  @Test
  void ingestStreamsOneResultPerDocument() throws Exception {
    try (ContextClient alice = client(token("alice"))) {
      List<IngestResult> results =
          alice
              .ingest(
                  List.of(
                      dev.anvil.context.grpc.v1.Document.newBuilder()
                          .setId("eng-2")
                          .setVersion(1)
                          .setTitle("Design")
                          .setBody("A design note.")
                          .putTags(
                              "classification",
                              TagValues.newBuilder().addValues("internal").build())
                          .putTags(
                              "department", TagValues.newBuilder().addValues("engineering").build())
                          .build(),
                      dev.anvil.context.grpc.v1.Document.newBuilder()
                          .setId("bad-1")
                          .setVersion(1)
                          .setBody("Untagged.")
                          .build(),
                      dev.anvil.context.grpc.v1.Document.newBuilder()
                          .setId("hr-2")
                          .setVersion(1)
                          .setBody("Payroll.")
                          .putTags(
                              "classification",
                              TagValues.newBuilder().addValues("internal").build())
                          .putTags("department", TagValues.newBuilder().addValues("hr").build())
                          .build()))
              .get(60, TimeUnit.SECONDS);
      assertThat(results).hasSize(3);
      assertThat(results.get(0).hasIndexed()).isTrue();
      assertThat(results.get(1).getRejected().getField()).isEqualTo("tags.classification");
      assertThat(results.get(1).getRejected().getReason()).contains("required tag is missing");
      assertThat(results.get(2).getDenied().getPolicy()).isEqualTo("default-deny");
      assertThat(alice.get("eng-2").getChunksCount()).isEqualTo(1);
    }
  }

  @Test
  void deadlinesAreHonoured() {
    try (ContextClient hurried =
        ContextClient.connect(
            "127.0.0.1", server.port(), () -> token("alice"), Duration.ofNanos(1))) {
      assertStatus(() -> hurried.search(query("kernel")), Status.Code.DEADLINE_EXCEEDED, "");
    }
  }

  @Test
  void healthAndReflectionWorkForStandardTools() throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
      assertThat(
              health
                  .check(
                      HealthCheckRequest.newBuilder()
                          .setService("anvil.context.v1.ContextService")
                          .build())
                  .getStatus())
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      CompletableFuture<List<String>> services = new CompletableFuture<>();
      StreamObserver<ServerReflectionRequest> reflection =
          ServerReflectionGrpc.newStub(channel)
              .serverReflectionInfo(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                      services.complete(
                          r.getListServicesResponse().getServiceList().stream()
                              .map(ServiceResponse::getName)
                              .toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                      services.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                  });
      reflection.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
      assertThat(services.get(10, TimeUnit.SECONDS))
          .contains("anvil.context.v1.ContextService", "grpc.health.v1.Health");
      reflection.onCompleted();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void everyCallIsAuditedWithADigestNotTheQuery() throws Exception {
    try (ContextClient alice = client(token("alice"))) {
      alice.search(query("kernel salary secret question"));
    }
    List<String> lines = Files.readAllLines(data.resolve("audit.jsonl"));
    String last = lines.getLast();
    assertThat(last)
        .contains("\"username\":\"alice\"")
        .contains("\"agent\":\"test-agent\"")
        .contains("\"action\":\"search\"")
        .contains("\"query_sha256\":\"sha256:")
        .contains("\"status\":\"OK\"")
        .doesNotContain("secret question");
    assertThat(lines).allSatisfy(l -> assertThat(l).startsWith("{").endsWith("}"));
  }

  @Test
  void theServerListensOnLoopbackOnly() throws Exception {
    assertThat(LoopbackSockets.onPort(server.port()))
        .isNotEmpty()
        .allMatch(LoopbackSockets.Listener::loopbackOnly, "bound to 127.0.0.1");
  }

  @Test
  void theModelRpcsNameTheModelAndRefuseWhatTheCallerMayNotDo() throws Exception {
    try (ContextClient alice = client(token("alice"));
        ContextClient sam = client(token("sam"))) {
      ModelStatus status = alice.model();
      assertThat(status.getModelId()).isEqualTo(engine.modelId());
      assertThat(status.getRegistryModelId()).as("the packaged model is in no registry").isEmpty();
      assertThat(status.getModelDigest()).isEqualTo(engine.modelDigest().orElse(""));
      assertThat(status.getPreviousModelId()).isEmpty();

      // Models are named by registry id; a path names nothing, and reads as an absent model.
      assertStatus(() -> sam.switchModel("", 0, false), Status.Code.INVALID_ARGUMENT, "model_id");
      for (String id : List.of("nothing-here", data.toString(), "../index")) {
        assertStatus(
            () -> sam.switchModel(id, 0, false),
            Status.Code.NOT_FOUND,
            "no model '" + id + "' in the registry that you may put in service");
      }
      // The packaged model has no card: only admin may take it out of service.
      assertStatus(() -> alice.rollbackModel(), Status.Code.PERMISSION_DENIED, "admin only");
      assertStatus(() -> sam.rollbackModel(), Status.Code.FAILED_PRECONDITION, "no previous model");
    }
  }
}
