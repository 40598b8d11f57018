package dev.anvil.trainer.service;

import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.ModelCardException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.SortedMap;

/**
 * A registered model, from its card.
 *
 * @param lineage the tags it inherited from its data: a level (string) per ordered tag, a list of
 *     values per other tag
 * @param path its directory on the trainer's volume
 * @param onnx whether it has {@code model.onnx}, so that the context engine can serve it
 * @param card the whole model card (JSON)
 */
public record ModelInfo(
    String id,
    String job,
    String task,
    String owner,
    Instant created,
    SortedMap<String, Object> lineage,
    Path path,
    boolean onnx,
    String card) {
  /** The card's file name in a model directory. */
  public static final String CARD = ModelCard.FILE;

  /**
   * Reads the card of the model in {@code dir}.
   *
   * @throws ModelCardException if it has none, or it cannot be read
   */
  static ModelInfo read(Path dir) {
    ModelCard card =
        ModelCard.read(dir)
            .orElseThrow(() -> new ModelCardException(dir + ": no " + ModelCard.FILE));
    return of(
        dir.getFileName().toString(),
        card,
        dir.toAbsolutePath(),
        Files.isRegularFile(dir.resolve("model.onnx")));
  }

  /** A model from its card's text (e.g. as the trainer service sent it). */
  public static ModelInfo parse(String id, String card, Path path, boolean onnx) {
    return of(id, ModelCard.parse(card, "the card of " + id), path, onnx);
  }

  private static ModelInfo of(String id, ModelCard card, Path path, boolean onnx) {
    return new ModelInfo(
        id,
        card.job(),
        card.task(),
        card.owner(),
        card.created(),
        card.lineage(),
        path,
        onnx,
        card.text());
  }
}
