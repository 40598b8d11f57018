package dev.anvil.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.job.OpenJobStores;
import dev.anvil.trainer.synth.CorpusSource;
import dev.anvil.trainer.synth.CorpusUnavailableException;
import dev.anvil.trainer.synth.Passage;
import dev.anvil.trainer.synth.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job whose data is the context engine's ({@code data.engine}): its corpus is read page by page
 * when it is submitted, made into a synthetic data set kept with the job, trained on, and named by
 * the model's card. The engine is a stand-in behind the trainer's own {@link CorpusSource}; the
 * real engine over mTLS is tested from the command line's module.
 */
class EngineCorpusJobTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  static final Map<String, Object> ENG =
      Map.of("classification", "internal", "department", List.of("engineering"));
  static final Map<String, Object> HR_RESTRICTED =
      Map.of(
          "classification",
          "restricted",
          "department",
          List.of("hr"),
          "topics",
          List.of("compensation"));

  private final PolicyStore policies = PolicyStore.open(TestPacks.example());
  private final Principal mia =
      PrincipalDirectory.load(TestPacks.example().principalsFile()).find("mia").orElseThrow();

  static final String SPEC =
      """
      name: from-engine
      task: embedding
      base_model: {huggingface: model}
      data:
        engine: {tags: {department: engineering}, max_passages: %d}
      hyperparameters:
        epochs: 1
        batch_size: 8
        learning_rate: 1.0e-3
        max_seq_length: 32
        eval_every: 4
        checkpoint_every: 100
        holdout: 0.2
      """;

  /** Passages of documents doc-00 to doc-(n-1), two chunks each, with {@code tags}. */
  static List<Passage> corpus(int documents, Map<String, Object> tags) {
    List<Passage> out = new ArrayList<>();
    for (int i = 0; i < documents; i++) {
      String topic = List.of("kernel", "cluster", "latency", "storage", "network").get(i % 5);
      for (int c = 0; c < 2; c++) {
        out.add(
            new Passage(
                "doc-%02d".formatted(i),
                3,
                c,
                "Notes on the " + topic + " " + i,
                "The "
                    + topic
                    + " work went well. We measured the "
                    + topic
                    + " again. Part "
                    + c
                    + " of note "
                    + i
                    + " shows the "
                    + topic
                    + " trend in every region we run in today and every team.",
                tags));
      }
    }
    return out;
  }

  /** An engine over {@code passages} that pages as the real one does, counting its pages. */
  static class Engine implements CorpusSource {
    final List<Passage> passages;
    final List<Integer> asked = new ArrayList<>();

    Engine(List<Passage> passages) {
      this.passages = passages;
    }

    @Override
    public Page page(Map<String, List<String>> tags, String after, int max) {
      asked.add(max);
      List<Passage> out = new ArrayList<>();
      for (Passage p : passages) {
        boolean sameDocument = !out.isEmpty() && out.getLast().documentId().equals(p.documentId());
        if (p.documentId().compareTo(after) > 0 && (out.size() < max || sameDocument)) {
          out.add(p);
        }
      }
      return new Page(out, "v1");
    }

    @Override
    public String name() {
      return "test engine";
    }
  }

  private LocalTrainer trainer(Optional<CorpusSource> source) {
    return new LocalTrainer(
        stores.open(dir.resolve("jobs")),
        policies,
        dir.resolve("models"),
        Optional.empty(),
        mia,
        source);
  }

  private Path specFile(int maxPassages) throws Exception {
    TinyModels.huggingFaceDir(dir.resolve("model"));
    return Files.writeString(dir.resolve("spec.yaml"), SPEC.formatted(maxPassages));
  }

  @Test
  void theCorpusIsReadPageByPageMadeIntoPairsTrainedOnAndNamedByTheModelsCard() throws Exception {
    Engine engine = new Engine(corpus(12, ENG));
    JobView job = trainer(Optional.of(engine)).submit(Submission.local(specFile(1000)));
    Path corpusDir = dir.resolve("jobs").resolve(job.id()).resolve(JobStore.CORPUS);
    assertThat(corpusDir.resolve(SyntheticDataset.PAIRS)).isRegularFile();
    assertThat(engine.asked).hasSize(2); // one page of everything, one empty: the end

    JobStore store = stores.open(dir.resolve("jobs"));
    assertThat(new JobRunner(store, policies, dir.resolve("models"), Device.cpu()).drain())
        .isTrue();
    JobState end = store.find(job.id()).orElseThrow().state();
    assertThat(end)
        .as(String.join("\n", store.events(job.id(), 0)))
        .isInstanceOf(JobState.Succeeded.class);
    Path model = Path.of(((JobState.Succeeded) end).model());
    JsonObject card =
        JsonParser.parseString(Files.readString(model.resolve("anvil-model-card.json")))
            .getAsJsonObject();
    JsonObject data = card.getAsJsonArray("data").get(0).getAsJsonObject();
    JsonObject provenance =
        JsonParser.parseString(Files.readString(corpusDir.resolve(SyntheticDataset.PROVENANCE)))
            .getAsJsonObject();
    assertThat(data.get("synthetic").getAsString())
        .isEqualTo(provenance.get("version").getAsString())
        .isEqualTo(data.get("sha256").getAsString());
    assertThat(data.get("documents").getAsInt()).isEqualTo(12);
    assertThat(data.getAsJsonObject("origin").get("source").getAsString()).isEqualTo("test engine");
    assertThat(data.getAsJsonObject("origin").getAsJsonObject("tags").toString())
        .isEqualTo("{\"department\":[\"engineering\"]}");
    assertThat(model.resolve(JobRunner.DATA_PROVENANCE))
        .hasSameTextualContentAs(corpusDir.resolve(SyntheticDataset.PROVENANCE));
    assertThat(card.getAsJsonObject("lineage").get("classification").getAsString())
        .isEqualTo("internal");
  }

  @Test
  void aCorpusLongerThanAPageIsReadInWholeDocumentsAndTheSameCorpusGivesTheSameDataSet()
      throws Exception {
    List<Passage> passages = corpus(30, ENG);
    Engine small = new Engine(passages);
    Engine pages =
        new Engine(passages) {
          @Override
          public Page page(Map<String, List<String>> tags, String after, int max) {
            return super.page(tags, after, Math.min(max, 7)); // 7: a page ends inside a document
          }
        };
    Path spec = specFile(1000);
    JobView a = trainer(Optional.of(small)).submit(Submission.local(spec));
    JobView b = trainer(Optional.of(pages)).submit(Submission.local(spec));
    assertThat(pages.asked).hasSizeGreaterThan(8);
    Path jobs = dir.resolve("jobs");
    assertThat(jobs.resolve(a.id()).resolve(JobStore.CORPUS).resolve(SyntheticDataset.PAIRS))
        .hasSameBinaryContentAs(
            jobs.resolve(b.id()).resolve(JobStore.CORPUS).resolve(SyntheticDataset.PAIRS));
  }

  @Test
  void withoutAnEngineNothingToTrainOnTooMuchOrAnEngineThatRefusesTheJobIsRefusedAndNotStored()
      throws Exception {
    Path spec = specFile(20);
    assertThatThrownBy(() -> trainer(Optional.empty()).submit(Submission.local(spec)))
        .isInstanceOfSatisfying(
            TrainerException.class,
            e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.INVALID))
        .hasMessageContaining("field 'data.engine': this trainer reads no context engine");
    assertThatThrownBy(
            () -> trainer(Optional.of(new Engine(List.of()))).submit(Submission.local(spec)))
        .hasMessage(
            "field 'data.engine': test engine has no documents with tags {department=[engineering]}"
                + " that you may train on");
    assertThatThrownBy(
            () -> trainer(Optional.of(new Engine(corpus(11, ENG)))).submit(Submission.local(spec)))
        .hasMessageContaining("the corpus holds more than 20 passages");
    CorpusSource down =
        new Engine(List.of()) {
          @Override
          public Page page(Map<String, List<String>> tags, String after, int max) {
            throw new CorpusUnavailableException(
                "test engine: unreachable", CorpusUnavailableException.Reason.UNAVAILABLE, null);
          }
        };
    assertThatThrownBy(() -> trainer(Optional.of(down)).submit(Submission.local(spec)))
        .isInstanceOfSatisfying(
            TrainerException.class,
            e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.EXHAUSTED))
        .hasMessage("field 'data.engine': test engine: unreachable");
    CorpusSource refusing =
        new Engine(List.of()) {
          @Override
          public Page page(Map<String, List<String>> tags, String after, int max) {
            throw new CorpusUnavailableException(
                "test engine answered INVALID_ARGUMENT: unknown tag 'departement'",
                CorpusUnavailableException.Reason.INVALID_REQUEST,
                null);
          }
        };
    assertThatThrownBy(() -> trainer(Optional.of(refusing)).submit(Submission.local(spec)))
        .isInstanceOfSatisfying(
            TrainerException.class,
            e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.INVALID))
        .hasMessageContaining("unknown tag 'departement'");
    assertThat(stores.open(dir.resolve("jobs")).list()).isEmpty();
  }

  /**
   * The engine decides what the owner may train on, and the trainer decides again when the job
   * runs: an engine that returned more than it should (or a policy tightened since) fails the job
   * before any step, listing what was refused.
   */
  @Test
  void passagesTheOwnerMayNotTrainOnFailTheJobBeforeAnyStepWhateverTheEngineReturned()
      throws Exception {
    List<Passage> leaky = new ArrayList<>(corpus(10, ENG));
    leaky.addAll(
        corpus(1, HR_RESTRICTED).stream()
            .map(p -> new Passage("hr-" + p.chunk(), 1, 0, p.title(), p.text(), HR_RESTRICTED))
            .toList());
    JobView job = trainer(Optional.of(new Engine(leaky))).submit(Submission.local(specFile(1000)));
    JobStore store = stores.open(dir.resolve("jobs"));
    new JobRunner(store, policies, dir.resolve("models"), Device.cpu()).drain();
    JobState end = store.find(job.id()).orElseThrow().state();
    assertThat(end).isInstanceOf(JobState.Failed.class);
    assertThat(((JobState.Failed) end).reason()).contains("mia may not train on").contains("hr");
    assertThat(store.history(job.id(), 0)).noneMatch(e -> e.describe().contains("step "));
  }
}
