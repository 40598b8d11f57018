package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.grpc.v1.Document;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest streams over a real socket: a fast writer is slowed to its rate (not refused), documents
 * buffered by all streams are bounded, and a message past the largest document is refused before it
 * is parsed.
 */
class IngestPacingTest {
  static final int MIB = 1 << 20;

  @TempDir Path dir;
  ContextEngine engine;
  AuditLog audit;
  GrpcServer server;
  DevTokenIssuer issuer;
  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());

  void start(int mibPerSecond, int bufferMib) {
    engine =
        ContextEngine.open(
            dir.resolve("index"),
            PolicyStore.open(TestPacks.example()),
            HashEmbedder.of("hash", 8).withMaxTokens(4096));
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("key.json"), Clock.systemUTC());
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    Limits limits = Limits.DEFAULTS.withIngest(mibPerSecond, bufferMib);
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
    if (server != null) {
      server.close();
      engine.close();
      audit.close();
    }
  }

  ContextClient connector() {
    String token =
        issuer.mint(people.find("kafka-connector").orElseThrow(), "test", Duration.ofMinutes(5));
    return ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofMinutes(2));
  }

  static Document doc(String id, int bytes) {
    return Document.newBuilder()
        .setId(id)
        .setVersion(1)
        .setTitle("Note")
        .setBody("x".repeat(bytes)) // one token: cheap to chunk and embed
        .putTags("classification", TagValues.newBuilder().addValues("internal").build())
        .putTags("department", TagValues.newBuilder().addValues("engineering").build())
        .build();
  }

  @Test
  void aWriterFasterThanItsRateIsSlowedDownNotRefused() throws Exception {
    start(1, 256);
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      docs.add(doc("d" + i, MIB / 4)); // 4 MiB in all, at 1 MiB/s after a second's worth
    }
    try (ContextClient c = connector()) {
      long t = System.nanoTime();
      List<IngestResult> results = c.ingest(docs).get(2, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - t) / 1e9;
      assertThat(results).hasSize(16).allMatch(IngestResult::hasIndexed);
      assertThat(seconds)
          .as("4 MiB at 1 MiB/s, the first second's worth at once")
          .isGreaterThan(2.5);
    }
  }

  @Test
  void documentsBufferedByAllStreamsAreBoundedAndReleased() throws Exception {
    start(1024, 1);
    try (ContextClient c = connector()) {
      // Written in batches of 16: two documents of 600 KiB are held together, past 1 MiB.
      assertThatThrownBy(
              () ->
                  c.ingest(List.of(doc("a", 600 << 10), doc("b", 600 << 10)))
                      .get(1, TimeUnit.MINUTES))
          .hasRootCauseInstanceOf(StatusRuntimeException.class)
          .hasMessageContaining("RESOURCE_EXHAUSTED")
          .hasMessageContaining(
              "more than 1 MiB of documents received and not yet written, all ingest streams"
                  + " together (limit max-ingest-buffer-mib)");
      // What the refused stream held is given back: the next stream is served.
      for (int round = 0; round < 3; round++) {
        assertThat(c.ingest(List.of(doc("c" + round, 600 << 10))).get(1, TimeUnit.MINUTES))
            .singleElement()
            .satisfies(r -> assertThat(r.hasIndexed()).isTrue());
      }
    }
  }

  @Test
  void aMessagePastTheLargestDocumentIsRefusedBeforeItIsParsed() {
    start(1024, 256);
    try (ContextClient c = connector()) {
      assertThatThrownBy(
              () ->
                  c.ingest(List.of(doc("huge", ContextServer.MAX_MESSAGE_BYTES + 1000)))
                      .get(1, TimeUnit.MINUTES))
          .hasRootCauseInstanceOf(StatusRuntimeException.class)
          .rootCause()
          .satisfies(
              e ->
                  assertThat(((StatusRuntimeException) e).getStatus().getCode())
                      .isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
          .hasMessageContaining(String.valueOf(ContextServer.MAX_MESSAGE_BYTES));
      assertThat(engine.chunkCount()).isZero();
    }
  }

  @Test
  void eachCallerIsPacedByItsOwnBytes() {
    AtomicLong now = new AtomicLong();
    IngestPacing pacing = new IngestPacing(Limits.DEFAULTS.withIngest(2, 1), now::get);
    // 2 MiB/s with a second of tolerance: 2 MiB at once, then each MiB waits half a second.
    assertThat(pacing.delayAfter("a", 2L * MIB)).isZero();
    assertThat(pacing.delayAfter("a", MIB)).isEqualTo(500_000_000L);
    assertThat(pacing.delayAfter("b", MIB)).as("another caller").isZero();
    now.addAndGet(1_500_000_000L); // a's schedule has caught up
    assertThat(pacing.delayAfter("a", MIB)).isZero();

    int held = pacing.hold(600 << 10);
    assertThatThrownBy(() -> pacing.hold(600 << 10))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
        .hasMessageContaining("limit max-ingest-buffer-mib");
    pacing.release(held);
    // Many small documents held by one batch are given back exactly: nothing leaks.
    int small = 0;
    for (int i = 0; i < 1000; i++) {
      small += pacing.hold(100);
    }
    pacing.release(small);
    pacing.release(0); // a batch that held nothing
    assertThat(pacing.available()).isEqualTo(1024);
  }
}
