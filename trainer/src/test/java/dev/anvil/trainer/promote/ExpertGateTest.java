package dev.anvil.trainer.promote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny encoder trained on a judgments snapshot (its train split), and the gate's expert rule on
 * the snapshot's dev split: promoted when it gains enough, refused when it does not, refused
 * outright when the candidate was trained on the expert queries; the numbers in the decision, the
 * audit and the model card.
 */
class ExpertGateTest {
  @TempDir static Path dir;
  static Path base;
  static Path tuned;
  static JudgmentSnapshot snapshot;
  static BeirDataset evaluation;
  static final TagSchema SCHEMA = PolicyStore.open(TestPacks.example()).current().schema();
  static final PromotionGate.Asked ASKED = new PromotionGate.Asked("olivia", "test");

  @BeforeAll
  static void trainOnTheSnapshot() {
    base = TinyModels.huggingFaceDir(dir.resolve("base"));
    snapshot = TinyModels.snapshot(dir.resolve("snap"), "kernel");
    Principal mia =
        PrincipalDirectory.load(TestPacks.example().principalsFile()).find("mia").orElseThrow();
    JobStore store = new JobStore(dir.resolve("jobs"));
    Job job =
        store.submit(
            "experts",
            TinyModels.judgedEmbeddingSpec("experts", "base", "snap", Splits.TRAIN_MINUS_DEV),
            dir,
            mia);
    new JobRunner(store, PolicyStore.open(TestPacks.example()), dir.resolve("models"), Device.cpu())
        .drain();
    JobState s = store.find(job.id()).orElseThrow().state();
    assertThat(s).as(store.events(job.id(), 0).toString()).isInstanceOf(JobState.Succeeded.class);
    tuned = Path.of(((JobState.Succeeded) s).model());
    evaluation = BeirDataset.load(TinyModels.beir(dir.resolve("eval"), TinyModels.pairs()), "dev");
  }

  static GateRules rules(double minGain) {
    return GateRules.parse(
        "gate.yaml",
        "max_lineage: {classification: confidential}\n"
            + "expert_eval: {dataset: snap, min_gain_ndcg10: "
            + minGain
            + "}\n",
        SCHEMA,
        dir);
  }

  @Test
  void theCardSaysWhichSnapshotAndQueriesTheModelLearnedAndInheritsTheirTags() {
    ModelCard card = ModelCard.read(tuned).orElseThrow();
    JsonObject j =
        card.json().getAsJsonArray("data").get(0).getAsJsonObject().getAsJsonObject("judgments");
    assertThat(j.get("snapshot").getAsString()).isEqualTo(snapshot.id());
    assertThat(j.get("split").getAsString()).isEqualTo(Splits.TRAIN_MINUS_DEV);
    Set<String> trained = new HashSet<>();
    j.getAsJsonArray("queries").forEach(q -> trained.add(q.getAsString()));
    assertThat(trained).isEqualTo(snapshot.queryIds(Splits.TRAIN_MINUS_DEV));
    assertThat(trained).doesNotContainAnyElementsOf(snapshot.queryIds(Splits.DEV));
    // One topic's chunks are confidential: a model trained on them is confidential.
    assertThat(card.lineage()).containsEntry("classification", "confidential");
    assertThat(Files.exists(tuned.resolve("judgments-provenance.json"))).isTrue();
  }

  @Test
  void aCandidateThatGainsOnTheExpertSetIsPromotedAndTheCardKeepsTheNumbers() throws IOException {
    Path audit = dir.resolve("promote/gate.jsonl");
    GateDecision d =
        new PromotionGate(SCHEMA, audit)
            .decide(tuned, base, evaluation, evaluation, rules(0.01), ASKED);
    assertThat(d.verdict()).isInstanceOf(GateDecision.Promote.class);
    GateDecision.Score e = d.expert().orElseThrow();
    assertThat(e.set()).isEqualTo("expert");
    assertThat(e.split()).isEqualTo("dev of " + snapshot.id());
    assertThat(e.metric()).isEqualTo("ndcg@10");
    assertThat(e.delta()).isGreaterThanOrEqualTo(0.01);
    JsonObject event =
        JsonParser.parseString(Files.readAllLines(audit).getLast()).getAsJsonObject();
    assertThat(
            event.getAsJsonObject("data").getAsJsonObject("expert").get("candidate").getAsDouble())
        .isEqualTo(e.candidate());
    JsonArray evals =
        ModelCard.read(tuned).orElseThrow().json().getAsJsonArray("expert_evaluations");
    JsonObject last = evals.get(evals.size() - 1).getAsJsonObject();
    assertThat(last.get("decision").getAsString()).isEqualTo(d.id());
    assertThat(last.get("snapshot").getAsString()).isEqualTo(snapshot.id());
    assertThat(last.get("gain").getAsDouble()).isEqualTo(e.delta());
    assertThat(last.get("passed").getAsBoolean()).isTrue();
    // Deterministic: the same models and sets, the same numbers.
    GateDecision again =
        new PromotionGate(SCHEMA, audit)
            .decide(tuned, base, evaluation, evaluation, rules(0.01), ASKED);
    assertThat(again.expert()).isEqualTo(d.expert());
  }

  @Test
  void aCandidateBelowTheExpertMarginIsRefusedWithItsNumbers() {
    GateDecision d =
        new PromotionGate(SCHEMA, dir.resolve("refuse/gate.jsonl"))
            .decide(tuned, base, evaluation, evaluation, rules(0.9), ASKED);
    assertThat(d.verdict()).isInstanceOf(GateDecision.Refuse.class);
    List<String> reasons = ((GateDecision.Refuse) d.verdict()).reasons();
    assertThat(reasons).hasSize(1);
    assertThat(reasons.getFirst())
        .startsWith("expert_eval: graded ndcg@10 on the experts' set (dev of " + snapshot.id())
        .contains("must gain at least 0.9000");
    JsonArray evals =
        ModelCard.read(tuned).orElseThrow().json().getAsJsonArray("expert_evaluations");
    assertThat(evals.get(evals.size() - 1).getAsJsonObject().get("passed").getAsBoolean())
        .isFalse();
  }

  @Test
  void aCandidateTrainedOnTheExpertQueriesIsNeverScored() throws IOException {
    // The tuned model's files with a card saying it learned every query of the snapshot.
    Path leaky = dir.resolve("leaky");
    Files.createDirectories(leaky);
    try (var files = Files.list(tuned)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, leaky.resolve(f.getFileName()));
      }
    }
    JsonObject json = ModelCard.read(tuned).orElseThrow().json().deepCopy();
    JsonArray all = new JsonArray();
    snapshot.queryIds(JudgmentSnapshot.ALL).forEach(all::add);
    json.getAsJsonArray("data")
        .get(0)
        .getAsJsonObject()
        .getAsJsonObject("judgments")
        .add("queries", all);
    ModelCard.parse(json.toString(), "leaky").write(leaky);
    Path audit = dir.resolve("leaky-gate.jsonl");
    assertThatThrownBy(
            () ->
                new PromotionGate(SCHEMA, audit)
                    .decide(leaky, base, evaluation, evaluation, rules(0.01), ASKED))
        .isInstanceOf(GateRulesException.class)
        .hasMessageContaining(
            "was trained on "
                + snapshot.queryIds(Splits.DEV).size()
                + " of the queries of the expert evaluation set");
    assertThat(audit).doesNotExist();
  }

  @Test
  void theExpertRuleIsCheckedWhenTheRulesAreRead() {
    assertThatThrownBy(
            () ->
                GateRules.parse(
                    "gate.yaml",
                    "max_lineage: {classification: internal}\n"
                        + "expert_eval: {dataset: nowhere, min_gain_ndcg10: -1, extra: 1}\n",
                    SCHEMA,
                    dir))
        .isInstanceOf(GateRulesException.class)
        .hasMessageContaining("field 'expert_eval.extra': unknown field")
        .hasMessageContaining("field 'expert_eval.min_gain_ndcg10': expected a number >= 0")
        .hasMessageContaining("field 'expert_eval.dataset': " + dir.resolve("nowhere"))
        .hasMessageContaining("not a judgments snapshot");
  }
}
