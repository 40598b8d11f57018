package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import dev.anvil.eval.snapshot.JudgedExample;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.judge.AdjudicateRequest;
import dev.anvil.judge.AgreementReport;
import dev.anvil.judge.Item;
import dev.anvil.judge.Judging;
import dev.anvil.judge.LabelRequest;
import dev.anvil.judge.MemoryCorpus;
import dev.anvil.judge.SnapshotExport;
import dev.anvil.judge.Source;
import dev.anvil.judge.Status;
import dev.anvil.judge.TaskSpec;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.promote.GateDecision;
import dev.anvil.trainer.promote.GateRules;
import dev.anvil.trainer.promote.GateRulesException;
import dev.anvil.trainer.promote.PromotionGate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * From judgments to the next model, every link real: experts judge through {@link Judging} (the H2
 * store, policies of the example pack), one of them noisy; agreement is measured and disputes
 * adjudicated; the final labels are exported as a snapshot; a job fine-tunes a tiny encoder on its
 * train split; the gate decides on its dev split, promoting when the gain is reached and refusing
 * when it is not, or when the candidate is the worse model.
 */
@Tag("heavy")
class ExpertLoopEndToEndTest {
  @TempDir Path dir;

  static final PrincipalDirectory PEOPLE =
      PrincipalDirectory.load(TestPacks.example().principalsFile());
  static final Map<String, Object> ENG =
      Map.of("classification", "internal", "department", List.of("engineering"));

  static Principal who(String name) {
    return PEOPLE.find(name).orElseThrow();
  }

  /** The truth the experts know: each phrasing's answer 3, its sibling 1, the next topic's 0. */
  final Map<String, Integer> truth = new HashMap<>();

  private static String weekly(String t) {
    return "weekly " + t + " report: the " + t + " team shipped fixes";
  }

  private static String owner(String t) {
    return t + " ownership: the " + t + " group owns it";
  }

  /** The toy corpus, and what the engine returns for each query: answer, sibling, next topic. */
  private List<String> corpus(MemoryCorpus corpus) {
    List<String> queries = new ArrayList<>();
    List<String> topics = TinyModels.TOPICS;
    for (int i = 0; i < topics.size(); i++) {
      String t = topics.get(i);
      corpus.put("weekly-" + t, 0, 1, weekly(t), ENG, 1, 0, 0);
      corpus.put("owner-" + t, 0, 1, owner(t), ENG, 0, 1, 0);
    }
    for (int i = 0; i < topics.size(); i++) {
      String t = topics.get(i);
      String next = topics.get((i + 1) % topics.size());
      String[][] phrasings = {
        {"what changed in the " + t + " last week", "weekly-" + t, "owner-" + t},
        {"who owns the " + t, "owner-" + t, "weekly-" + t}
      };
      for (String[] p : phrasings) {
        queries.add(p[0]);
        corpus.rank(p[0], "bm25", p[2] + "#0", 3.0, p[1] + "#0", 2.9, "weekly-" + next + "#0", 2.8);
        truth.put(p[0] + "|" + p[1], 3);
        truth.put(p[0] + "|" + p[2], 1);
        truth.put(p[0] + "|weekly-" + next, 0);
      }
    }
    return queries;
  }

  private int truth(Item item) {
    return truth.get(item.query() + "|" + item.documentId());
  }

  /** An annotator works through its queue until it is empty; {@code flip} of its labels wrong. */
  private int judgeAll(Judging judging, String annotator, double flip, Random random) {
    int labelled = 0;
    for (List<Item> queue = judging.queue(who(annotator), "toy", Judging.MAX_QUEUE);
        !queue.isEmpty();
        queue = judging.queue(who(annotator), "toy", Judging.MAX_QUEUE)) {
      for (Item item : queue) {
        int label = truth(item);
        if (random.nextDouble() < flip) {
          label = (label + 1 + random.nextInt(3)) % 4; // any other grade
        }
        judging.label(
            who(annotator),
            new LabelRequest(item.id(), label, Status.SUBMITTED, "", ""),
            Source.EXPERT);
        labelled++;
      }
    }
    return labelled;
  }

  @Test
  void expertsJudgmentsTrainAModelThatTheGatePromotesOnlyWhenItGains() throws Exception {
    long seed = Long.getLong("tests.seed", 18L);
    System.out.println("ExpertLoopEndToEndTest seed " + seed + " (-Dtests.seed to repeat)");
    Random random = new Random(seed);
    PolicyStore policies = PolicyStore.open(TestPacks.example());
    MemoryCorpus corpus = new MemoryCorpus(policies);
    List<String> queries = corpus(corpus);

    // 1. Experts judge, through Judging on the embedded store: ada knows, andy flips 30%.
    JudgmentSnapshot snapshot;
    try (Store store = Store.open(StoreConfig.embedded(dir.resolve("data")))) {
      Judging judging = Judging.open(store, corpus, Clock.systemUTC(), false);
      judging.createTask(
          who("mia"), new TaskSpec("toy", "toy topics", queries, 2, 3, "adjudicator"));
      int items = judging.task("toy").items();
      assertThat(items).isEqualTo(queries.size() * 3);
      assertThat(judgeAll(judging, "ada", 0.0, random)).isEqualTo(items);
      assertThat(judgeAll(judging, "andy", 0.3, random)).isEqualTo(items);

      AgreementReport agreement = judging.agreement(who("mia"), "toy");
      assertThat(agreement.complete()).isEqualTo(items);
      double kappa = agreement.pairs().getFirst().cohen().orElseThrow();
      // 30% of andy's labels are another grade: about 0.7 of chance-corrected agreement is left.
      assertThat(kappa).as("Cohen's kappa of ada and andy").isBetween(0.45, 0.85);
      assertThat(agreement.disputed()).isBetween(items / 5, items * 2 / 5);

      // 2. The adjudicator settles every dispute (with the truth).
      int settled = 0;
      for (List<Item> disputes = judging.disputes(who("judy"), "toy", Judging.MAX_QUEUE);
          !disputes.isEmpty();
          disputes = judging.disputes(who("judy"), "toy", Judging.MAX_QUEUE)) {
        for (Item item : disputes) {
          judging.adjudicate(who("judy"), new AdjudicateRequest(item.id(), truth(item), "", ""));
          settled++;
        }
      }
      assertThat(settled).isEqualTo(agreement.disputed());

      // 3. The final labels as a snapshot: every one the truth, with the task's kappa.
      SnapshotExport.Result export =
          SnapshotExport.export(judging, who("mia"), "toy", store.toString());
      snapshot = export.snapshot();
      assertThat(snapshot.examples()).hasSize(items);
      for (JudgedExample e : snapshot.examples()) {
        assertThat(e.label())
            .as(e.query() + " " + e.key())
            .isEqualTo(truth.get(e.query() + "|" + e.documentId()));
        assertThat(e.tags()).isEqualTo(ENG);
      }
      assertThat(snapshot.provenance().adjudicated()).isEqualTo(settled);
      assertThat(snapshot.provenance().pairs().getFirst().cohen().getAsDouble()).isEqualTo(kappa);
      snapshot.write(dir.resolve("snap"));
    }

    // 4. A job trains on the snapshot's train split.
    Path base = TinyModels.huggingFaceDir(dir.resolve("base"));
    JobStore jobs = new JobStore(dir.resolve("jobs"));
    Job job =
        jobs.submit(
            "experts",
            TinyModels.judgedEmbeddingSpec("experts", "base", "snap", Splits.TRAIN_MINUS_DEV),
            dir,
            who("mia"));
    new JobRunner(jobs, policies, dir.resolve("models"), Device.cpu()).drain();
    JobState state = jobs.find(job.id()).orElseThrow().state();
    assertThat(state)
        .as(jobs.events(job.id(), 0).toString())
        .isInstanceOf(JobState.Succeeded.class);
    Path tuned = Path.of(((JobState.Succeeded) state).model());
    assertThat(ModelCard.read(tuned).orElseThrow().text()).contains(snapshot.id());

    // 5. The gate, on the snapshot's dev split: promoted with a reachable gain ...
    BeirDataset general =
        BeirDataset.load(TinyModels.beir(dir.resolve("general"), TinyModels.pairs()), "dev");
    Files.writeString(
        dir.resolve("gate.yaml"),
        "max_lineage: {classification: internal}\n"
            + "expert_eval: {dataset: snap, min_gain_ndcg10: 0.02}\n");
    GateRules rules = GateRules.read(dir.resolve("gate.yaml"), policies.current().schema());
    PromotionGate gate = new PromotionGate(policies.current().schema(), dir.resolve("gate.jsonl"));
    PromotionGate.Asked asked = new PromotionGate.Asked("olivia", policies.current().version());
    GateDecision promoted = gate.decide(tuned, base, general, general, rules, asked);
    assertThat(promoted.verdict()).as(promoted.toString()).isInstanceOf(GateDecision.Promote.class);
    GateDecision.Score expert = promoted.expert().orElseThrow();
    assertThat(expert.split()).isEqualTo("dev of " + snapshot.id());
    assertThat(expert.delta()).isGreaterThanOrEqualTo(0.02);

    // ... refused when the gain asked for is out of reach ...
    Files.writeString(
        dir.resolve("strict.yaml"),
        "max_lineage: {classification: internal}\n"
            + "expert_eval: {dataset: snap, min_gain_ndcg10: "
            + (expert.delta() + 0.05)
            + "}\n");
    GateDecision strict =
        gate.decide(
            tuned,
            base,
            general,
            general,
            GateRules.read(dir.resolve("strict.yaml"), policies.current().schema()),
            asked);
    assertThat(strict.verdict()).isInstanceOf(GateDecision.Refuse.class);
    assertThat(((GateDecision.Refuse) strict.verdict()).reasons())
        .singleElement()
        .asString()
        .startsWith("expert_eval: graded ndcg@10");
    assertThat(strict.expert()).isEqualTo(promoted.expert());

    // ... and refused for the worse model: the base in place of the one the experts taught.
    GateDecision worse = gate.decide(base, tuned, general, general, rules, asked);
    assertThat(worse.verdict()).isInstanceOf(GateDecision.Refuse.class);
    assertThat(worse.expert().orElseThrow().delta()).isNegative();

    // The card of the candidate keeps both expert decisions.
    assertThat(
            ModelCard.read(tuned).orElseThrow().json().getAsJsonArray("expert_evaluations").size())
        .isEqualTo(2);

    // 6. A model trained on every query of the snapshot is never measured on it.
    Job leaky =
        jobs.submit(
            "leaky",
            TinyModels.judgedEmbeddingSpec("leaky", "base", "snap", JudgmentSnapshot.ALL)
                .replace("epochs: 4", "epochs: 1"),
            dir,
            who("mia"));
    new JobRunner(jobs, policies, dir.resolve("models"), Device.cpu()).drain();
    Path leakyModel =
        Path.of(((JobState.Succeeded) jobs.find(leaky.id()).orElseThrow().state()).model());
    assertThatThrownBy(() -> gate.decide(leakyModel, base, general, general, rules, asked))
        .isInstanceOf(GateRulesException.class)
        .hasMessageContaining("of the queries of the expert evaluation set");
  }
}
