package dev.anvil.trainer.promote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.eval.BeirDataset;
import dev.anvil.modelcard.GateVerdict;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.job.OpenJobStores;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.service.GateSetup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate on a tiny encoder fine-tuned on internal data: it promotes the fine-tuned model over its
 * base, refuses the base over the fine-tuned one, and refuses a model whose lineage is above what
 * the engine may serve; each decision audited with its numbers.
 */
class PromotionGateTest {
  @RegisterExtension static final OpenJobStores stores = OpenJobStores.perClass();

  @TempDir static Path dir;
  static Path base;
  static Path tuned;
  static BeirDataset evaluation;
  static BeirDataset regression;
  static final TagSchema SCHEMA = PolicyStore.open(TestPacks.example()).current().schema();

  static final String SPEC = TinyModels.tunedEmbeddingSpec("gate", "base");

  @BeforeAll
  static void trainACandidate() throws IOException {
    base = TinyModels.huggingFaceDir(dir.resolve("base"));
    try (EncoderModel m = EncoderModel.load(base, Device.cpu(), 64)) {
      m.exportOnnx(base, java.util.Map.of()); // an ONNX model in service, as an engine has
    }
    List<Example> pairs = TinyModels.pairs();
    TinyModels.write(dir.resolve("pairs.jsonl"), pairs);
    Principal mia =
        PrincipalDirectory.load(TestPacks.example().principalsFile()).find("mia").orElseThrow();
    JobStore store = stores.open(dir.resolve("jobs"));
    Job job = store.submit("gate", SPEC, dir, mia);
    new JobRunner(store, PolicyStore.open(TestPacks.example()), dir.resolve("models"), Device.cpu())
        .drain();
    JobState s = store.find(job.id()).orElseThrow().state();
    assertThat(s).isInstanceOf(JobState.Succeeded.class);
    tuned = Path.of(((JobState.Succeeded) s).model());
    evaluation = beir(dir.resolve("eval"), pairs);
    regression = beir(dir.resolve("regression"), pairs.subList(0, 6));
  }

  static BeirDataset beir(Path to, List<Example> pairs) {
    return BeirDataset.load(TinyModels.beir(to, pairs), "dev");
  }

  static final PromotionGate.Asked ASKED = new PromotionGate.Asked("olivia", "test");

  static GateRules rules(String yaml) {
    return GateRules.parse("gate.yaml", yaml, SCHEMA);
  }

  @Test
  void aBetterModelWithinTheEnginesLineageIsPromotedAndAudited() throws IOException {
    Path audit = dir.resolve("promote/gate.jsonl");
    PromotionGate gate = new PromotionGate(SCHEMA, audit);
    GateRules r = rules("min_margin: 0.01\nmax_lineage: {classification: internal}\n");

    GateDecision d = gate.decide(tuned, base, evaluation, regression, r, ASKED);

    assertThat(d.verdict()).isInstanceOf(GateDecision.Promote.class);
    assertThat(d.evaluation().delta()).isGreaterThanOrEqualTo(0.01);
    assertThat(d.candidateLineage()).containsEntry("classification", "internal");
    // Deterministic: the same inputs, the same numbers and verdict.
    GateDecision again = gate.decide(tuned, base, evaluation, regression, r, ASKED);
    assertThat(again.evaluation()).isEqualTo(d.evaluation());
    assertThat(again.regression()).isEqualTo(d.regression());
    assertThat(again.id()).isEqualTo(d.id());

    List<String> lines = Files.readAllLines(audit);
    assertThat(lines).hasSize(2);
    JsonObject event = JsonParser.parseString(lines.getFirst()).getAsJsonObject();
    assertThat(event.get("type").getAsString()).isEqualTo("anvil.model.gate");
    assertThat(event.get("id").getAsString()).isEqualTo(d.id());
    JsonObject data = event.getAsJsonObject("data");
    assertThat(data.get("verdict").getAsString()).isEqualTo("promote");
    assertThat(data.getAsJsonObject("evaluation").get("candidate").getAsDouble())
        .isEqualTo(d.evaluation().candidate());
    assertThat(data.getAsJsonObject("rules").get("minMargin").getAsDouble()).isEqualTo(0.01);
    // Which split decided, for each set.
    assertThat(d.evaluation().split()).isEqualTo("dev");
    assertThat(data.getAsJsonObject("evaluation").get("split").getAsString()).isEqualTo("dev");
    assertThat(data.getAsJsonObject("regression").get("split").getAsString()).isEqualTo("dev");

    // The pass is recorded beside the candidate for exactly these two models' bytes.
    GateVerdict v =
        GateVerdict.find(tuned, GateVerdict.digest(tuned), GateVerdict.digest(base)).orElseThrow();
    assertThat(v.decision()).isEqualTo(d.id());
    assertThat(v.decidedBy()).isEqualTo("olivia");
    assertThat(v.candidate()).isEqualTo(tuned.getFileName().toString());
  }

  @Test
  void aWorseModelIsRefusedWithItsNumbers() {
    PromotionGate gate = new PromotionGate(SCHEMA, dir.resolve("worse/gate.jsonl"));
    GateDecision d =
        gate.decide(
            base,
            tuned,
            evaluation,
            regression,
            rules("min_margin: 0.0\nmax_lineage: {classification: restricted}\n"),
            ASKED);

    assertThat(GateVerdict.find(base, GateVerdict.digest(base), GateVerdict.digest(tuned)))
        .as("a refusal records no verdict")
        .isEmpty();
    assertThat(d.verdict())
        .isInstanceOfSatisfying(
            GateDecision.Refuse.class,
            r ->
                assertThat(r.reasons())
                    .anySatisfy(
                        reason ->
                            assertThat(reason)
                                .startsWith("ndcg@10 on the evaluation set")
                                .contains("must be better"))
                    .anySatisfy(reason -> assertThat(reason).contains("regression set"))
                    .anySatisfy(reason -> assertThat(reason).contains("names no classification")));
  }

  @Test
  void theGateRefusesToDecideOnTheTestSplit() {
    Path audit = dir.resolve("on-test/gate.jsonl");
    PromotionGate gate = new PromotionGate(SCHEMA, audit);
    BeirDataset test =
        BeirDataset.load(
            TinyModels.beir(dir.resolve("test-set"), TinyModels.pairs(), "test"), "test");
    GateRules r = rules("min_margin: 0.0\nmax_lineage: {classification: internal}\n");

    assertThatThrownBy(() -> gate.decide(tuned, base, test, regression, r, ASKED))
        .isInstanceOf(GateRulesException.class)
        .hasMessageContaining("the evaluation set's split 'test'")
        .hasMessageContaining("never decides on the test split");
    assertThatThrownBy(() -> gate.decide(tuned, base, evaluation, test, r, ASKED))
        .hasMessageContaining("the regression set's split 'test'");
    assertThat(audit).as("nothing decided, nothing audited").doesNotExist();
    // A trainer cannot even be set up with such a gate.
    assertThatThrownBy(() -> new GateSetup(dir.resolve("gate.yaml"), evaluation, test))
        .isInstanceOf(GateRulesException.class)
        .hasMessageContaining("the regression set's split 'test'");
    assertThat(PromotionGate.requireNotTest("--gate-split", "dev")).isEqualTo("dev");
    assertThatThrownBy(() -> PromotionGate.requireNotTest("--gate-split", "Test"))
        .hasMessageStartingWith("--gate-split 'Test': the gate never decides on the test split");
  }

  @Test
  void aModelTrainedAboveTheEnginesClassificationIsRefused() {
    PromotionGate gate = new PromotionGate(SCHEMA, dir.resolve("lineage/gate.jsonl"));
    GateDecision d =
        gate.decide(
            tuned,
            base,
            evaluation,
            regression,
            rules("min_margin: 0.0\nmax_lineage: {classification: public}\n"),
            ASKED);

    assertThat(d.verdict())
        .isEqualTo(
            new GateDecision.Refuse(
                List.of(
                    "lineage: trained on internal data (classification); this engine serves"
                        + " models of at most public")));
  }

  @Test
  void brokenRulesAreRefusedNamingTheField() {
    assertThatThrownBy(
            () ->
                rules(
                    "metric: mrr\nmin_margin: -1\nspeed: fast\n"
                        + "max_lineage: {classification: secret, department: hr}\n"))
        .isInstanceOfSatisfying(
            GateRulesException.class,
            e ->
                assertThat(e.problems())
                    .containsExactlyInAnyOrder(
                        "gate.yaml: field 'speed': unknown field",
                        "gate.yaml: field 'metric': expected one of [ndcg@10, recall@10], was 'mrr'"
                            .replace("[ndcg@10, recall@10]", GateRules.METRICS.toString()),
                        "gate.yaml: field 'min_margin': expected a number >= 0, was '-1'",
                        "gate.yaml: field 'max_lineage.classification': expected one of [public,"
                            + " internal, confidential, restricted], was 'secret'",
                        "gate.yaml: field 'max_lineage.department': not an ordered tag of the"
                            + " schema"));
    assertThatThrownBy(() -> rules("min_margin: 0.01\n"))
        .hasMessageContaining("field 'max_lineage': required");
  }
}
