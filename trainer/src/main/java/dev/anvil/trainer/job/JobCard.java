package dev.anvil.trainer.job;

import ai.djl.Device;
import com.google.gson.Gson;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.data.Governance;
import dev.anvil.trainer.model.LoraAdapters;
import dev.anvil.trainer.model.OnnxExport;
import dev.anvil.trainer.synth.SyntheticDataset;
import dev.anvil.trainer.train.Task;
import dev.anvil.trainer.train.TrainingRun;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The model card a finished job writes beside its model: who made it, from what data (each file's
 * digest, and a synthetic set's provenance copied beside the model), how it was trained, what it
 * scored, and the lineage it inherited.
 */
final class JobCard {
  /** A synthetic data set's provenance, copied beside the model it trained. */
  static final String DATA_PROVENANCE = "data-provenance.json";

  private JobCard() {}

  /** Writes the card of the model the job saved in {@code dir}. */
  static void write(
      Path dir,
      Job job,
      JobSpec spec,
      Task task,
      TrainingRun.Result r,
      Governance.Lineage lineage,
      Device device,
      String policyVersion,
      List<Example> train,
      List<Example> eval,
      Optional<LoraAdapters> adapters)
      throws IOException {
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("model", dir.getFileName().toString());
    card.put("job", job.id());
    card.put("task", task.name());
    card.put("owner", job.owner().subject());
    card.put("created", Instant.now().toString());
    card.put("device", device.toString());
    card.put("base_model", spec.baseModel().describe());
    List<Map<String, Object>> data = new ArrayList<>();
    Map<String, Object> trained = dataset("train", JobRunner.trainFile(job, spec));
    if (spec.engine().isPresent()) {
      // Where the pairs came from travels with the model: every source document and its version.
      Path provenance = job.dir().resolve(JobStore.CORPUS).resolve(SyntheticDataset.PROVENANCE);
      Files.copy(provenance, dir.resolve(DATA_PROVENANCE));
      Map<?, ?> p = new Gson().fromJson(Files.readString(provenance), Map.class);
      trained.put("synthetic", p.get("version"));
      trained.put("origin", p.get("origin"));
      trained.put("documents", ((List<?>) p.get("documents")).size());
      trained.put("provenance", DATA_PROVENANCE);
    }
    spec.judgments().ifPresent(j -> JudgedData.describe(j, trained, dir, train));
    data.add(trained);
    spec.eval().ifPresent(p -> data.add(dataset("eval", p)));
    card.put("data", data);
    card.put("examples", Map.of("train", train.size(), "held_out", eval.size()));
    card.put("hyperparameters", spec.hyperparameters());
    card.put("steps", r.steps());
    card.put("resources", Resources.of(r.secondsPerStep()));
    adapters.ifPresent(
        a -> {
          Map<String, Object> lora = new LinkedHashMap<>();
          lora.put("rank", a.settings().rank());
          lora.put("alpha", a.settings().alpha());
          lora.put("dropout", a.settings().dropout());
          lora.put("targets", a.settings().targets());
          lora.put("trainable_parameters", a.size());
          lora.put("adapter", "adapter/" + LoraAdapters.FILE);
          card.put("lora", lora);
        });
    card.put("stopped_early", r.stoppedEarly());
    card.put("loss", Map.of("first_steps", r.firstLoss(), "last_steps", r.lastLoss()));
    card.put(
        "metrics",
        Map.of("base", r.baseMetrics(), "best", r.bestMetrics(), "best_step", r.bestStep()));
    card.put("lineage", lineage.tags());
    card.put("policy_version", policyVersion);
    if (Files.exists(dir.resolve("model.onnx"))) {
      card.put("onnx", Map.of("file", "model.onnx", "opset", OnnxExport.OPSET));
    }
    card.putAll(task.card());
    ModelCard.of(card).write(dir);
  }

  private static Map<String, Object> dataset(String role, Path file) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("role", role);
    d.put("file", file.toString());
    d.put("sha256", sha256(file));
    return d;
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n = in.read(buf); n > 0; n = in.read(buf)) {
        md.update(buf, 0, n);
      }
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
