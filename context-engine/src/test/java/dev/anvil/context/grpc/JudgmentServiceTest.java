package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.grpc.v1.CreateTaskRequest;
import dev.anvil.context.grpc.v1.GetAgreementRequest;
import dev.anvil.context.grpc.v1.GetItemRequest;
import dev.anvil.context.grpc.v1.GetQueueRequest;
import dev.anvil.context.grpc.v1.Item;
import dev.anvil.context.grpc.v1.ItemView;
import dev.anvil.context.grpc.v1.Judgment;
import dev.anvil.context.grpc.v1.LabelRequest;
import dev.anvil.context.judging.EngineCorpus;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.judge.Judging;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JudgmentService on the engine's server (127.0.0.1, real tokens, the real MiniLM model and
 * index): authenticated, rate-limited and audited as the engine's own calls, deciding by policy.
 */
class JudgmentServiceTest {
  @TempDir static Path data;
  private static ContextEngine engine;
  private static Store store;
  private static GrpcServer server;
  private static AuditLog audit;
  private static DevTokenIssuer issuer;
  private static PrincipalDirectory people;
  private static String task;

  @BeforeAll
  static void start() {
    people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    engine =
        ContextEngine.open(
            data.resolve("index"), PolicyStore.open(TestPacks.example()), SharedEmbedder.get());
    Map<String, Object> internal =
        Map.of("classification", "internal", "department", List.of("engineering"));
    Map<String, Object> confidential =
        Map.of("classification", "confidential", "department", List.of("engineering"));
    engine.ingest(
        people.find("kafka-connector").orElseThrow(),
        List.of(
            doc(
                "eng-deploy",
                "Deploy runbook",
                "Deploy the service with a canary first.",
                internal),
            doc(
                "eng-rollback",
                "Rollback",
                "Roll a bad deploy back within five minutes.",
                internal),
            doc(
                "eng-keys",
                "Deploy keys",
                "Deploy keys are rotated every ninety days.",
                confidential),
            doc(
                "hr-pay",
                "Deploy bonus",
                "Engineers who deploy on weekends get a bonus.",
                Map.of(
                    "classification", "confidential",
                    "department", List.of("hr"),
                    "topics", List.of("compensation")))));
    store = Store.open(StoreConfig.embedded(data));
    Judging judging = Judging.open(store, new EngineCorpus(engine), Clock.systemUTC(), false);
    issuer = DevTokenIssuer.openOrCreate(data.resolve("dev-key.json"), Clock.systemUTC());
    audit = AuditLog.open(data.resolve("audit.jsonl"));
    server =
        ContextServer.start(
            "127.0.0.1",
            0,
            ServerTransport.LOOPBACK_PLAINTEXT,
            engine,
            issuer.verifier(),
            audit,
            Limits.DEFAULTS.withCallerRate(50, 40),
            new Admission(Limits.DEFAULTS.withCallerRate(50, 40)),
            OpenTelemetry.noop(),
            Optional.of(judging));
    task =
        client("mia")
            .judgments()
            .createTask(
                CreateTaskRequest.newBuilder()
                    .setId("deploys")
                    .addQueries("how do we deploy safely")
                    .setOverlap(2)
                    .build())
            .getId();
  }

  @AfterAll
  static void stop() {
    server.close();
    engine.close();
    audit.close();
    store.close();
  }

  private static Document doc(String id, String title, String body, Map<String, Object> tags) {
    return new Document(id, 1, title, body, "test://" + id, tags);
  }

  private static ContextClient client(String who) {
    String token = issuer.mint(people.find(who).orElseThrow(), "test-agent", Duration.ofMinutes(5));
    return ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(20));
  }

  private static void assertStatus(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(code))
        .hasMessageContaining(message);
  }

  private static List<Item> queue(String who) {
    try (ContextClient c = client(who)) {
      return c.judgments()
          .getQueue(GetQueueRequest.newBuilder().setTaskId(task).setMax(10).build())
          .getItemsList();
    }
  }

  @Test
  void theQueueHoldsWhatEachAnnotatorMayReadAndJudgeRankedByBothRetrievers() {
    assertThat(queue("ada"))
        .extracting(Item::getDocumentId)
        .containsExactlyInAnyOrder("eng-deploy", "eng-rollback", "eng-keys");
    assertThat(queue("abe")).extracting(Item::getDocumentId).doesNotContain("eng-keys", "hr-pay");
    assertThat(queue("ada"))
        .allSatisfy(i -> assertThat(i.getRanksMap()).isNotEmpty())
        .anySatisfy(i -> assertThat(i.getRanksMap()).containsKeys("bm25", "dense"));
  }

  @Test
  void aLabelIsTheTokensAnnotatorsOnTheChunkShownAndIsAudited() throws Exception {
    Item item =
        queue("andy").stream()
            .filter(i -> i.getDocumentId().equals("eng-rollback"))
            .findFirst()
            .orElseThrow();
    try (ContextClient andy = client("andy")) {
      ItemView shown =
          andy.judgments().getItem(GetItemRequest.newBuilder().setItemId(item.getId()).build());
      assertThat(shown.getText()).isEqualTo("Roll a bad deploy back within five minutes.");
      Judgment j =
          andy.judgments()
              .label(
                  LabelRequest.newBuilder()
                      .setItemId(item.getId())
                      .setLabel(2)
                      .setSeenSha256(shown.getTextSha256())
                      .build());
      assertThat(j.getAnnotator()).isEqualTo("andy");
      assertThat(j.getAnnotatorRolesList()).containsExactly("annotator", "employee");
      assertThat(j.getSource()).isEqualTo("expert");
      assertThat(j.getStatus()).isEqualTo("submitted");
      assertThat(j.getTagsMap().get("classification").getValuesList()).containsExactly("internal");
      assertThat(j.getModelId()).isEqualTo(engine.modelId());
    }
    audit.close();
    audit = AuditLog.open(data.resolve("audit.jsonl"));
    String log = Files.readString(data.resolve("audit.jsonl"));
    assertThat(log).contains("\"action\":\"judge_label\"").contains("\"subject\":\"andy\"");
    assertThat(log).doesNotContain("how do we deploy safely"); // queries only as digests
  }

  @Test
  void aHiddenItemIsNotFoundExactlyAsAnAbsentOne() {
    String keys =
        queue("ada").stream()
            .filter(i -> i.getDocumentId().equals("eng-keys"))
            .findFirst()
            .orElseThrow()
            .getId();
    String absent = "it-ffffffffffffffffffffffffffffffff";
    try (ContextClient abe = client("abe")) {
      for (String id : List.of(keys, absent)) {
        assertStatus(
            () -> abe.judgments().getItem(GetItemRequest.newBuilder().setItemId(id).build()),
            Status.Code.NOT_FOUND,
            "no item '" + id + "' that you may judge");
        assertStatus(
            () ->
                abe.judgments().label(LabelRequest.newBuilder().setItemId(id).setLabel(1).build()),
            Status.Code.NOT_FOUND,
            "no item '" + id + "' that you may judge");
      }
    }
  }

  @Test
  void requestsPastTheirBoundsOrPolicyAreRefusedByStatus() {
    String item = queue("ada").getFirst().getId();
    try (ContextClient ada = client("ada");
        ContextClient alice = client("alice")) {
      assertStatus(
          () ->
              ada.judgments()
                  .label(
                      LabelRequest.newBuilder()
                          .setItemId(item)
                          .setLabel(1)
                          .setRationale("x".repeat(2001))
                          .build()),
          Status.Code.INVALID_ARGUMENT,
          "rationale: at most 2000 characters, was 2001");
      assertStatus(
          () ->
              ada.judgments().label(LabelRequest.newBuilder().setItemId(item).setLabel(7).build()),
          Status.Code.INVALID_ARGUMENT,
          "label: expected 0 to 3, was 7");
      assertStatus(
          () ->
              alice
                  .judgments()
                  .label(LabelRequest.newBuilder().setItemId(item).setLabel(1).build()),
          Status.Code.PERMISSION_DENIED,
          "denied by policy default-deny");
      assertStatus(
          () ->
              ada.judgments()
                  .getAgreement(GetAgreementRequest.newBuilder().setTaskId(task).build()),
          Status.Code.PERMISSION_DENIED,
          "for its creator, its adjudicators");
      assertStatus(
          () ->
              ada.judgments()
                  .createTask(CreateTaskRequest.newBuilder().setId("mine").addQueries("q").build()),
          Status.Code.PERMISSION_DENIED,
          "needs submit");
    }
  }

  @Test
  void aCallerFloodingTheServiceIsHeldToItsRate() {
    try (ContextClient flood = client("judy")) {
      assertStatus(
          () -> {
            for (int i = 0; i < 200; i++) {
              flood.judgments().getItem(GetItemRequest.newBuilder().setItemId("it-x").build());
            }
          },
          Status.Code.NOT_FOUND,
          "no item");
      assertStatus(
          () -> {
            for (int i = 0; i < 200; i++) {
              try {
                flood.judgments().getItem(GetItemRequest.newBuilder().setItemId("it-x").build());
              } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                  throw e;
                }
              }
            }
          },
          Status.Code.RESOURCE_EXHAUSTED,
          "max-requests-per-second");
    }
  }

  @Test
  void aCallWithoutATokenNeverReachesTheService() {
    try (ContextClient anonymous =
        ContextClient.connect(
            "127.0.0.1", server.port(), () -> "not-a-token", Duration.ofSeconds(5))) {
      assertStatus(
          () ->
              anonymous.judgments().getQueue(GetQueueRequest.newBuilder().setTaskId(task).build()),
          Status.Code.UNAUTHENTICATED,
          "");
    }
  }
}
