package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.EncoderModel;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Jobs through the store and the runner: training, registration, the model card, refusals. */
class JobRunnerTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  private final PrincipalDirectory people =
      PrincipalDirectory.load(TestPacks.example().principalsFile());
  private final Principal mia = people.find("mia").orElseThrow(); // ML engineer, engineering

  static String spec(String task, String data, int epochs) {
    return """
        name: tiny-%s
        task: %s
        base_model:
          huggingface: model
        data:
          train: %s
        hyperparameters:
          epochs: %d
          batch_size: 8
          learning_rate: 1.0e-3
          warmup_steps: 2
          max_seq_length: 32
          eval_every: 4
          checkpoint_every: 4
          holdout: 0.25
        """
        .formatted(task, task, data, epochs);
  }

  JobStore store() {
    return stores.open(dir.resolve("jobs"));
  }

  JobRunner runner(JobStore store) {
    return new JobRunner(
        store, PolicyStore.open(TestPacks.example()), dir.resolve("models"), Device.cpu());
  }

  @Test
  void aJobFineTunesRegistersItsModelAndWritesItsCard() throws Exception {
    TinyModels.huggingFaceDir(dir.resolve("model"));
    TinyModels.write(dir.resolve("pairs.jsonl"), TinyModels.pairs());
    JobStore store = store();
    Job job = store.submit("tiny-embedding", spec("embedding", "pairs.jsonl", 3), dir, mia);
    assertThat(job.state()).isInstanceOf(JobState.Queued.class);

    assertThat(runner(store).drain()).isTrue();

    Job done = store.find(job.id()).orElseThrow();
    assertThat(done.state()).isInstanceOf(JobState.Succeeded.class);
    Path model = Path.of(((JobState.Succeeded) done.state()).model());
    for (String f :
        List.of(
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "model.onnx",
            "anvil-model-card.json")) {
      assertThat(model.resolve(f)).isRegularFile();
    }
    JsonObject card =
        JsonParser.parseString(Files.readString(model.resolve("anvil-model-card.json")))
            .getAsJsonObject();
    assertThat(card.getAsJsonObject("lineage").get("classification").getAsString())
        .isEqualTo("internal");
    assertThat(card.get("owner").getAsString()).isEqualTo("mia");
    assertThat(card.getAsJsonObject("onnx").get("opset").getAsInt()).isEqualTo(17);
    assertThat(card.getAsJsonArray("data").get(0).getAsJsonObject().get("sha256").getAsString())
        .startsWith("sha256:");
    JsonObject loss = card.getAsJsonObject("loss");
    assertThat(loss.get("last_steps").getAsDouble())
        .isLessThan(loss.get("first_steps").getAsDouble());
    JsonObject metrics = card.getAsJsonObject("metrics");
    assertThat(metrics.getAsJsonObject("best").get("ndcg@10").getAsDouble())
        .isGreaterThan(metrics.getAsJsonObject("base").get("ndcg@10").getAsDouble());

    List<String> events = store.events(job.id(), 0);
    assertThat(events).anyMatch(e -> e.contains("\"type\":\"step\"") && e.contains("\"loss\""));
    assertThat(events).anyMatch(e -> e.contains("\"type\":\"eval\""));
    assertThat(events).anyMatch(e -> e.contains("\"type\":\"checkpoint\""));
    assertThat(events.getLast()).contains("\"state\":\"succeeded\"");
    try (EncoderModel loaded = EncoderModel.fromHuggingFace(model, Device.cpu(), 32)) {
      assertThat(loaded.embed(List.of("who owns the kernel"), 1)[0]).hasSize(64);
    }
  }

  @Test
  void anOwnerWhoMayNotTrainOnSomeExamplesFailsInValidationListingThem() throws Exception {
    TinyModels.huggingFaceDir(dir.resolve("model"));
    List<Example> data = new ArrayList<>(TinyModels.pairs());
    Map<String, Object> hrRestricted =
        Map.of(
            "classification",
            "restricted",
            "department",
            List.of("hr"),
            "topics",
            List.of("compensation"));
    data.add(
        2,
        new Example.Pair(
            "x", "what is alice paid", "alice earns 171,000", Optional.empty(), hrRestricted));
    data.add(
        5,
        new Example.Pair(
            "x", "bonus pool 2027", "the bonus pool is 4 percent", Optional.empty(), hrRestricted));
    TinyModels.write(dir.resolve("pairs.jsonl"), data);
    JobStore store = store();
    Job job = store.submit("tiny-embedding", spec("embedding", "pairs.jsonl", 1), dir, mia);

    runner(store).drain();

    JobState state = store.find(job.id()).orElseThrow().state();
    assertThat(state).isInstanceOf(JobState.Failed.class);
    assertThat(((JobState.Failed) state).reason())
        .contains("mia may not train on 2 examples")
        .contains("pairs.jsonl:3: denied by policy restricted-needs-restricted-clearance")
        .contains("pairs.jsonl:6: denied by policy");
    assertThat(job.dir().resolve("work")).doesNotExist(); // nothing was trained
    assertThat(dir.resolve("models")).doesNotExist();
    assertThat(store.events(job.id(), 0)).noneMatch(e -> e.contains("\"state\":\"running\""));
  }

  @Test
  void aClassifierJobReportsAccuracyAndMacroF1() throws Exception {
    TinyModels.huggingFaceDir(dir.resolve("model"));
    TinyModels.write(dir.resolve("labels.jsonl"), TinyModels.labeled());
    JobStore store = store();
    Job job = store.submit("tiny-classifier", spec("classifier", "labels.jsonl", 4), dir, mia);

    runner(store).drain();

    JobState state = store.find(job.id()).orElseThrow().state();
    assertThat(state).isInstanceOf(JobState.Succeeded.class);
    assertThat(((JobState.Succeeded) state).metrics()).containsKeys("accuracy", "macro_f1");
    Path model = Path.of(((JobState.Succeeded) state).model());
    assertThat(EncoderModel.extraTensors(model))
        .containsKeys("classifier.weight", "classifier.bias");
  }

  @Test
  void oneWorkerPerDevice() throws Exception {
    JobStore store = store();
    Path lock = store.dir().resolve(".device-cpu.lock");
    try (FileChannel ch =
            FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        var held = ch.lock()) {
      assertThat(runner(store).drain()).isFalse();
    }
  }

  @Test
  void aQueuedJobCancelsAtOnce() throws Exception {
    TinyModels.write(dir.resolve("pairs.jsonl"), TinyModels.pairs());
    TinyModels.huggingFaceDir(dir.resolve("model"));
    JobStore store = store();
    Job job = store.submit("tiny-embedding", spec("embedding", "pairs.jsonl", 1), dir, mia);
    assertThat(store.cancel(job.id())).isTrue();
    runner(store).drain();
    assertThat(store.find(job.id()).orElseThrow().state()).isInstanceOf(JobState.Cancelled.class);
    assertThat(store.cancel(job.id())).isFalse();
  }
}
