package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.ForwardingEmbedder;
import dev.anvil.context.embed.InputType;
import dev.anvil.context.grpc.v1.SearchRequest;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every limit of the engine's service exceeded once, over a real socket: sizes are
 * INVALID_ARGUMENT, rates and concurrency RESOURCE_EXHAUSTED, each naming the limit and its value.
 */
class LimitsTest {
  @TempDir Path dir;
  ContextEngine engine;
  AuditLog audit;
  GrpcServer server;
  DevTokenIssuer issuer;
  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());

  /** Embeds as MiniLM, but a text containing "hold" waits until released (a slow request). */
  static final class Holding extends ForwardingEmbedder {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger held = new AtomicInteger();

    @Override
    protected Embedder delegate() {
      return SharedEmbedder.get();
    }

    @Override
    public float[][] embed(InputType type, List<String> texts) {
      if (texts.stream().anyMatch(t -> t.contains("hold"))) {
        held.incrementAndGet();
        try {
          release.await(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return delegate().embed(type, texts);
    }
  }

  final Holding embedder = new Holding();

  @BeforeEach
  void start() {
    engine =
        ContextEngine.open(dir.resolve("index"), PolicyStore.open(TestPacks.example()), embedder);
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("key.json"), Clock.systemUTC());
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    Limits limits = new Limits(100, 2, 3, 1, 5, 50, 1, 1, 0.001, 30, 16, 256);
    server =
        ContextServer.start(
            "127.0.0.1",
            0,
            ServerTransport.LOOPBACK_PLAINTEXT,
            engine,
            issuer.verifier(),
            audit,
            limits,
            OpenTelemetry.noop());
  }

  @AfterEach
  void stop() {
    embedder.release.countDown();
    server.close();
    engine.close();
    audit.close();
  }

  ContextClient client(Principal who) {
    String token = issuer.mint(who, "test", Duration.ofMinutes(5));
    return ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(30));
  }

  ContextClient client(String name) {
    return client(people.find(name).orElseThrow());
  }

  static void assertRefused(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(code))
        .hasMessageContaining(message);
  }

  static SearchRequest.Builder query(String q) {
    return SearchRequest.newBuilder().setQuery(q).setTopK(3);
  }

  @Test
  void everySizeLimitIsInvalidArgumentNamingItsValue() {
    try (ContextClient alice = client("alice")) {
      assertRefused(
          () -> alice.search(query("k".repeat(101)).build()),
          Status.Code.INVALID_ARGUMENT,
          "query: at most 100 characters (limit max-query-chars), was 101");
      assertRefused(
          () -> alice.search(query("kernel").setTopK(6).build()),
          Status.Code.INVALID_ARGUMENT,
          "top_k: at most 5 chunks (limit max-top-k), was 6");
      assertRefused(
          () -> alice.search(query("kernel").setTokenBudget(51).build()),
          Status.Code.INVALID_ARGUMENT,
          "token_budget: at most 50 tokens (limit max-token-budget), was 51");
      TagValues one = TagValues.newBuilder().addValues("internal").build();
      assertRefused(
          () ->
              alice.search(
                  query("kernel")
                      .putFilter("classification", one)
                      .putFilter("region", TagValues.newBuilder().addValues("eu").build())
                      .putFilter("source", TagValues.newBuilder().addValues("crm").build())
                      .build()),
          Status.Code.INVALID_ARGUMENT,
          "filter: at most 2 tags (limit max-filter-tags), was 3");
      assertRefused(
          () ->
              alice.search(
                  query("kernel")
                      .putFilter(
                          "department",
                          TagValues.newBuilder()
                              .addAllValues(List.of("engineering", "hr", "finance", "legal"))
                              .build())
                      .build()),
          Status.Code.INVALID_ARGUMENT,
          "filter: at most 3 values (limit max-filter-values), was 4");
      assertRefused(
          () -> alice.search(query("kernel").addFacets("department").addFacets("topics").build()),
          Status.Code.INVALID_ARGUMENT,
          "facets: at most 1 facets (limit max-facets), was 2");
      assertThat(alice.search(query("kernel").build()).getPolicyVersion()).startsWith("sha256:");
    }
  }

  @Test
  void eachCallerHasARate() {
    Principal bursty = Principal.of("bursty");
    try (ContextClient c = client(bursty);
        ContextClient other = client("alice")) {
      for (int i = 0; i < 30; i++) {
        c.search(query("kernel").build()); // the burst
      }
      assertRefused(
          () -> c.search(query("kernel").build()),
          Status.Code.RESOURCE_EXHAUSTED,
          "more than 0.001 requests per second (burst 30) from bursty (limit"
              + " max-requests-per-second)");
      other.search(query("kernel").build()); // another caller is not held back
    }
  }

  @Test
  void anOverloadIsRefusedAtOnceNotQueued() throws Exception {
    try (ContextClient alice = client("alice");
        ContextClient bob = client("olivia")) {
      CompletableFuture<?> held =
          CompletableFuture.runAsync(() -> alice.search(query("hold the line").build()));
      TestUtils.waitForCondition(
          () -> embedder.held.get() == 1, Duration.ofSeconds(30), "a search in progress");
      assertRefused(
          () -> bob.search(query("kernel").build()),
          Status.Code.RESOURCE_EXHAUSTED,
          "more than 1 searches at once (limit max-concurrent-searches)");
      embedder.release.countDown();
      held.get(30, TimeUnit.SECONDS);
      bob.search(query("kernel").build()); // the slot is free again
    }
  }

  @Test
  void aSearchPastItsDeadlineIsStoppedOnTheServerAndAudited() throws Exception {
    String token = issuer.mint(people.find("alice").orElseThrow(), "test", Duration.ofMinutes(5));
    try (ContextClient hurried =
        ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofMillis(500))) {
      assertRefused(
          () -> hurried.search(query("hold the line").build()), Status.Code.DEADLINE_EXCEEDED, "");
    }
    // The server is still embedding the query; once it can go on, it sees the deadline passed
    // and stops instead of searching, and its audit says why.
    embedder.release.countDown();
    TestUtils.waitForCondition(
        () ->
            auditLines()
                .anyMatch(
                    l ->
                        l.contains("\"action\":\"search\"")
                            && l.contains("\"status\":\"DEADLINE_EXCEEDED\"")),
        Duration.ofSeconds(30),
        "the search audited as DEADLINE_EXCEEDED");
  }

  java.util.stream.Stream<String> auditLines() {
    try {
      return java.nio.file.Files.readAllLines(dir.resolve("audit.jsonl")).stream();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static dev.anvil.context.grpc.v1.Document doc(String id, String body) {
    return dev.anvil.context.grpc.v1.Document.newBuilder()
        .setId(id)
        .setVersion(1)
        .setTitle("Note")
        .setBody(body)
        .putTags("classification", TagValues.newBuilder().addValues("internal").build())
        .putTags("department", TagValues.newBuilder().addValues("engineering").build())
        .build();
  }

  @Test
  void anIngestOverloadIsRefusedAtOnceToo() throws Exception {
    try (ContextClient connector = client("kafka-connector")) {
      var held = connector.ingest(List.of(doc("a", "hold this one")));
      TestUtils.waitForCondition(
          () -> embedder.held.get() == 1, Duration.ofSeconds(30), "an ingest in progress");
      assertThatThrownBy(
              () -> connector.ingest(List.of(doc("b", "Another."))).get(30, TimeUnit.SECONDS))
          .hasRootCauseInstanceOf(StatusRuntimeException.class)
          .hasMessageContaining("RESOURCE_EXHAUSTED")
          .hasMessageContaining(
              "more than 1 ingest batches at once (limit max-concurrent-ingests)");
      embedder.release.countDown();
      assertThat(held.get(30, TimeUnit.SECONDS))
          .singleElement()
          .satisfies(r -> assertThat(r.hasIndexed()).isTrue());
    }
  }
}
