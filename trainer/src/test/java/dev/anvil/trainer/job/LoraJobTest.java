package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.model.LoraAdapters;
import dev.anvil.trainer.model.Safetensors;
import dev.anvil.trainer.model.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job with {@code lora:} trains only its adapters: the model it registers is the base with the
 * adapters merged into the targeted layers (and no other weight changed), the adapters are saved
 * alone beside it, and the card records them and what the job cost.
 */
class LoraJobTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  private final Principal mia =
      PrincipalDirectory.load(TestPacks.example().principalsFile()).find("mia").orElseThrow();

  @Test
  void onlyTheAdaptersLearnAndTheyAreMergedIntoTheirLayers() throws Exception {
    Path base = TinyModels.huggingFaceDir(dir.resolve("model"));
    TinyModels.write(dir.resolve("pairs.jsonl"), TinyModels.pairs());
    String spec =
        // Nothing held out: the model is the last step's, not possibly the untrained start.
        JobRunnerTest.spec("embedding", "pairs.jsonl", 2).replace("holdout: 0.25", "holdout: 0")
            + "lora: {rank: 4, alpha: 8, targets: [query, value]}\n";
    JobStore store = stores.open(dir.resolve("jobs"));
    Job job = store.submit("tiny-lora", spec, dir, mia);
    new JobRunner(store, PolicyStore.open(TestPacks.example()), dir.resolve("models"), Device.cpu())
        .drain();
    JobState end = store.find(job.id()).orElseThrow().state();
    assertThat(end)
        .as(String.join("\n", store.events(job.id(), 0)))
        .isInstanceOf(JobState.Succeeded.class);
    Path model = Path.of(((JobState.Succeeded) end).model());

    JsonObject card =
        JsonParser.parseString(Files.readString(model.resolve("anvil-model-card.json")))
            .getAsJsonObject();
    JsonObject lora = card.getAsJsonObject("lora");
    assertThat(lora.get("rank").getAsInt()).isEqualTo(4);
    assertThat(lora.get("trainable_parameters").getAsLong()).isEqualTo(2 * 2 * (4 * 64 + 64 * 4));
    assertThat(card.getAsJsonObject("resources").get("seconds_per_step").getAsDouble())
        .isPositive();
    assertThat(card.getAsJsonObject("resources").get("peak_resident_mib").getAsLong()).isPositive();
    assertThat(model.resolve("adapter").resolve(LoraAdapters.FILE)).isRegularFile();
    assertThat(model.resolve("model.onnx")).isRegularFile();

    Map<String, Tensor> before = Safetensors.read(base.resolve("model.safetensors"));
    Map<String, Tensor> after = Safetensors.read(model.resolve("model.safetensors"));
    for (String name : before.keySet()) {
      boolean targeted =
          name.endsWith("attention.self.query.weight")
              || name.endsWith("attention.self.value.weight");
      boolean same = java.util.Arrays.equals(after.get(name).data(), before.get(name).data());
      assertThat(same).as(name + (targeted ? " changed" : " unchanged")).isEqualTo(!targeted);
    }
  }

  @Test
  void badLoraSettingsAreNamed() {
    String spec = JobRunnerTest.spec("embedding", "pairs.jsonl", 1);
    assertThat(
            catchThrowableOfType(
                    JobSpecException.class,
                    () ->
                        JobSpec.parse(
                            "spec.yaml",
                            spec + "lora: {rank: 0, dropout: 1.5, targets: [everything], x: 1}\n",
                            dir))
                .problems())
        .anyMatch(p -> p.contains("'lora.rank': expected a whole number >= 1, was 0"))
        .anyMatch(p -> p.contains("'lora.dropout': expected a fraction below 1, was 1.5"))
        .anyMatch(p -> p.contains("'lora.targets': expected some of [query, key, value"))
        .anyMatch(p -> p.contains("'lora.x': unknown field"));
  }
}
