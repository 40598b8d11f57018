package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.ForwardingEmbedder;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.grpc.v1.ModelStatus;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.modelcard.GateVerdict;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import dev.anvil.rpc.GrpcServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SwitchModel over gRPC against a real registry directory: a model is named by id, never by path;
 * the engine switches only with a passing gate verdict for the exact bytes it loads, measured
 * against the exact model it serves, or with the separate {@code override_gate} permission; a
 * caller who may not promote a model learns nothing that tells it from an absent one; every call is
 * audited with the id it named.
 */
class ModelSwitchGovernanceTest {
  static final Map<String, Object> ENGINEERING =
      Map.of("classification", "internal", "department", List.of("engineering"));
  static final Map<String, Object> HR =
      Map.of("classification", "confidential", "department", List.of("hr"));

  @TempDir Path data;
  Path models;
  ContextEngine engine;
  AuditLog audit;
  GrpcServer server;
  DevTokenIssuer issuer;
  PrincipalDirectory people;

  /**
   * A registry model as the engine loads it: vectors from a hash (every model shares the chunking),
   * its id and digest from the bytes of its {@code model.onnx}, as {@code OnnxEmbedder} does.
   */
  static final class RegistryModel extends ForwardingEmbedder {
    private final Embedder inner = HashEmbedder.of("hash", 32);
    private final Path dir;
    private final String digest;

    RegistryModel(Path dir) {
      this.dir = dir;
      this.digest = GateVerdict.digest(dir);
    }

    @Override
    protected Embedder delegate() {
      return inner;
    }

    @Override
    public String modelId() {
      return dir.getFileName() + "@" + digest.substring(0, 12);
    }

    @Override
    public Optional<String> digest() {
      return Optional.of(digest);
    }

    @Override
    public Optional<Path> directory() {
      return Optional.of(dir);
    }
  }

  /** A model of the registry: its card and its (stand-in) model.onnx. */
  Path model(String id, Map<String, Object> lineage, String onnxBytes) throws Exception {
    Path dir = Files.createDirectories(models.resolve(id));
    Files.writeString(dir.resolve("model.onnx"), onnxBytes);
    ModelCard.of(
            Map.of(
                "model",
                id,
                "job",
                "job-" + id,
                "task",
                "embedding",
                "owner",
                "mia",
                "created",
                "2026-12-01T00:00:00Z",
                "lineage",
                lineage))
        .write(dir);
    return dir;
  }

  /** What the trainer's gate records when {@code candidate} beats the model {@code against}. */
  static void passGate(Path candidate, Path against) {
    new GateVerdict(
            "gate-" + candidate.getFileName(),
            candidate.getFileName().toString(),
            GateVerdict.digest(candidate),
            GateVerdict.digest(against),
            "olivia",
            Instant.parse("2026-12-02T00:00:00Z"),
            "sha256:test")
        .record(candidate);
  }

  Path base;
  Path good;
  Path unverdicted;

  @BeforeEach
  void start() throws Exception {
    models = data.resolve("models");
    base = model("base", ENGINEERING, "base weights");
    good = model("good", ENGINEERING, "good weights");
    passGate(good, base);
    unverdicted = model("unverdicted", ENGINEERING, "unverdicted weights");
    Path stale = model("stale", ENGINEERING, "stale weights");
    passGate(stale, model("retired", ENGINEERING, "retired weights")); // not what serves
    Path tampered = model("tampered", ENGINEERING, "weights the gate saw");
    passGate(tampered, base);
    Files.writeString(tampered.resolve("model.onnx"), "weights written after the gate");
    passGate(model("hr-model", HR, "hr weights"), base);

    people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    engine =
        ContextEngine.open(
            data.resolve("index"),
            PolicyStore.open(TestPacks.example()),
            new RegistryModel(base),
            RegistryModel::new,
            ModelRegistry.at(models),
            OpenTelemetry.noop());
    engine.ingest(
        people.find("kafka-connector").orElseThrow(),
        List.of(
            new Document("eng-1", 1, "Runbook", "Upgrade the kernel.", "test://1", ENGINEERING)));
    issuer = DevTokenIssuer.openOrCreate(data.resolve("dev-key.json"), Clock.systemUTC());
    audit = AuditLog.open(data.resolve("audit.jsonl"));
    server = ContextServer.start("127.0.0.1", 0, engine, issuer.verifier(), audit);
  }

  @AfterEach
  void stop() {
    server.close();
    engine.close();
    audit.close();
  }

  ContextClient client(String who) {
    String token = issuer.mint(people.find(who).orElseThrow(), "test", Duration.ofMinutes(5));
    return ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(20));
  }

  static StatusRuntimeException refused(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to be refused");
  }

  static void waitForSwitch(ContextClient c, String registryId) throws InterruptedException {
    ModelStatus s =
        TestUtils.waitFor(
            c::model,
            m -> !m.getReembedding().getState().equals("running"),
            Duration.ofMinutes(1),
            "the re-embedding to " + registryId);
    assertThat(s.getReembedding().getState())
        .as(s.getReembedding().getError())
        .isEqualTo("switched");
    assertThat(s.getRegistryModelId()).isEqualTo(registryId);
  }

  @Test
  void aCallerWhoMayNotPromoteAModelCannotTellItFromAnAbsentOne() {
    try (ContextClient mia = client("mia");
        ContextClient olivia = client("olivia")) {
      // mia trained "good" but may not promote; olivia may not promote HR's model; nothing is
      // at the other names. One answer, whatever is there.
      for (var attempt :
          List.of(
              Map.entry(mia, "good"),
              Map.entry(mia, "nothing-here"),
              Map.entry(olivia, "hr-model"),
              Map.entry(olivia, "nothing-here"),
              Map.entry(olivia, models.resolve("good").toString()),
              Map.entry(olivia, "../models/good"),
              Map.entry(olivia, "good/../good"))) {
        StatusRuntimeException e =
            refused(() -> attempt.getKey().switchModel(attempt.getValue(), 0, false));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(e.getStatus().getDescription())
            .isEqualTo(
                "no model '"
                    + attempt.getValue()
                    + "' in the registry that you may put in service");
      }
      assertThat(olivia.model().getRegistryModelId()).isEqualTo("base");
    }
  }

  @Test
  void onlyAVerdictForTheseBytesAgainstTheServingModelSwitches() throws Exception {
    try (ContextClient olivia = client("olivia");
        ContextClient oscar = client("oscar")) {
      String digest = olivia.model().getModelDigest();
      assertThat(digest).isEqualTo(GateVerdict.digest(base));
      for (String id : List.of("unverdicted", "stale", "tampered")) {
        StatusRuntimeException e = refused(() -> olivia.switchModel(id, 0, false));
        assertThat(e.getStatus().getCode()).as(id).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(e.getStatus().getDescription())
            .startsWith(id + " has no passing gate verdict against the model in service")
            .doesNotContain(data.toString());
        assertThat(olivia.model().getModelDigest()).isEqualTo(digest);
      }

      // An override is a permission of its own: olivia may promote, not override.
      StatusRuntimeException denied = refused(() -> olivia.switchModel("unverdicted", 0, true));
      assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(denied.getStatus().getDescription())
          .isEqualTo("olivia may not override the gate for unverdicted: denied by default-deny");

      // oscar, on call, may: audited as an override.
      oscar.switchModel("unverdicted", 0, true);
      waitForSwitch(oscar, "unverdicted");

      // good passed the gate against base, not against what serves now: refused.
      StatusRuntimeException notAgainstThis = refused(() -> olivia.switchModel("good", 0, false));
      assertThat(notAgainstThis.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);

      // Back to base, and good's verdict switches.
      olivia.rollbackModel();
      assertThat(olivia.model().getRegistryModelId()).isEqualTo("base");
      olivia.switchModel("good", 0, false);
      waitForSwitch(olivia, "good");

      // Giving up the way back to base needs promote on base: not the auditor's.
      try (ContextClient audrey = client("audrey")) {
        StatusRuntimeException kept = refused(audrey::dropRollback);
        assertThat(kept.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(kept.getStatus().getDescription())
            .startsWith(
                "audrey may not drop the model kept for a rollback (promote on its lineage)");
      }
      assertThat(olivia.model().getPreviousModelId()).isNotEmpty();
      ModelStatus dropped = olivia.dropRollback();
      assertThat(dropped.getPreviousModelId()).isEmpty();
      assertThat(dropped.getRegistryModelId()).isEqualTo("good");
      StatusRuntimeException none = refused(olivia::rollbackModel);
      assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      none = refused(olivia::dropRollback);
      assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(none.getStatus().getDescription())
          .isEqualTo("no previous model is kept for a rollback");
    }

    List<String> lines = Files.readAllLines(data.resolve("audit.jsonl"));
    assertThat(lines)
        .filteredOn(l -> l.contains("\"action\":\"switch_model_override_gate\""))
        .anySatisfy(
            l -> assertThat(l).contains("\"oscar\"").contains("\"unverdicted\"").contains("\"OK\""))
        .anySatisfy(l -> assertThat(l).contains("\"olivia\"").contains("\"PERMISSION_DENIED\""));
    assertThat(lines)
        .filteredOn(l -> l.contains("\"action\":\"drop_rollback\""))
        .anySatisfy(
            l -> assertThat(l).contains("\"olivia\"").contains("\"base\"").contains("\"OK\""))
        .anySatisfy(l -> assertThat(l).contains("\"audrey\"").contains("\"PERMISSION_DENIED\""));
    assertThat(lines)
        .filteredOn(l -> l.contains("\"action\":\"switch_model\""))
        .anySatisfy(l -> assertThat(l).contains("\"tampered\"").contains("\"FAILED_PRECONDITION\""))
        .anySatisfy(l -> assertThat(l).contains("\"good\"").contains("\"OK\""));
  }
}
