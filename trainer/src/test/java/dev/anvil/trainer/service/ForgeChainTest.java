package dev.anvil.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain on a tiny model and corpus: the engine's documents the owner may train on become
 * synthetic pairs; a student cut from a registered teacher's layers is distilled on them; the
 * student is then fine-tuned with LoRA on the same corpus. Each model is registered, exported to
 * ONNX and carries the lineage of everything it was made from, the teacher's included.
 */
class ForgeChainTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  private final PolicyStore policies = PolicyStore.open(TestPacks.example());
  private final Principal mia =
      PrincipalDirectory.load(TestPacks.example().principalsFile()).find("mia").orElseThrow();

  static final String HYPERPARAMETERS =
      """
      hyperparameters:
        epochs: 2
        batch_size: 8
        learning_rate: 5.0e-4
        max_seq_length: 32
        eval_every: 4
        checkpoint_every: 100
        holdout: 0.2
      """;

  private JsonObject run(LocalTrainer trainer, String spec) throws Exception {
    Path file = Files.writeString(dir.resolve("spec.yaml"), spec);
    JobView job = trainer.submit(Submission.local(file));
    JobStore store = stores.open(dir.resolve("jobs"));
    new JobRunner(store, policies, dir.resolve("models"), Device.cpu()).drain();
    JobState end = store.find(job.id()).orElseThrow().state();
    assertThat(end)
        .as(String.join("\n", store.events(job.id(), 0)))
        .isInstanceOf(JobState.Succeeded.class);
    Path model = Path.of(((JobState.Succeeded) end).model());
    assertThat(model.resolve("model.onnx")).isRegularFile();
    JsonObject card =
        JsonParser.parseString(Files.readString(model.resolve("anvil-model-card.json")))
            .getAsJsonObject();
    card.addProperty("id", model.getFileName().toString());
    return card;
  }

  @Test
  void engineCorpusToSyntheticPairsToADistilledStudentToItsLoraFineTune() throws Exception {
    // The teacher was trained on confidential engineering data: whatever it teaches inherits that.
    TinyModels.registeredBase(
        dir.resolve("models"),
        "teacher",
        Map.of("classification", "confidential", "department", List.of("engineering")));
    CorpusSource engine =
        new EngineCorpusJobTest.Engine(EngineCorpusJobTest.corpus(20, EngineCorpusJobTest.ENG));
    LocalTrainer trainer =
        new LocalTrainer(
            stores.open(dir.resolve("jobs")),
            policies,
            dir.resolve("models"),
            Optional.empty(),
            mia,
            Optional.of(engine));

    JsonObject student =
        run(
            trainer,
            """
            name: student
            task: distill
            distill: {teacher: {registry: teacher}, layers: [1], loss: mse}
            data:
              engine: {tags: {department: engineering}}
            """
                + HYPERPARAMETERS);
    assertThat(student.get("student_layers_from_teacher").toString()).isEqualTo("[1]");
    assertThat(student.getAsJsonObject("teacher").get("model").getAsString())
        .isEqualTo("registry: teacher");
    assertThat(student.getAsJsonObject("lineage").get("classification").getAsString())
        .isEqualTo("confidential");
    assertThat(student.getAsJsonArray("data").get(0).getAsJsonObject().get("documents").getAsInt())
        .isEqualTo(20);

    JsonObject tuned =
        run(
            trainer,
            """
            name: tuned
            task: embedding
            base_model: {registry: %s}
            lora: {rank: 4}
            data:
              engine: {tags: {department: engineering}}
            """
                    .formatted(student.get("id").getAsString())
                + HYPERPARAMETERS);
    assertThat(tuned.getAsJsonObject("lora").get("rank").getAsInt()).isEqualTo(4);
    assertThat(tuned.get("base_model").getAsString())
        .as("named as the spec names it")
        .isEqualTo("registry: " + student.get("id").getAsString());
    assertThat(tuned.getAsJsonObject("lineage").get("classification").getAsString())
        .as("the teacher's classification passes through the student to its fine-tune")
        .isEqualTo("confidential");
    JsonObject metrics = tuned.getAsJsonObject("metrics");
    assertThat(metrics.getAsJsonObject("best").get("ndcg@10").getAsDouble())
        .isGreaterThanOrEqualTo(metrics.getAsJsonObject("base").get("ndcg@10").getAsDouble());
  }
}
