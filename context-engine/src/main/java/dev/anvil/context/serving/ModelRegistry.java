package dev.anvil.context.serving;

import dev.anvil.modelcard.ModelCard;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The trainer's model registry as an engine reads it: a directory of model directories, each named
 * by its id and holding {@code model.onnx}, {@code tokenizer.json}, its {@link ModelCard} and the
 * gate's verdicts. Callers name a model by id, never by path: an id that is not a plain name (a
 * path, {@code ..}, a link out) names no model.
 *
 * @param dir the registry's directory; empty for an engine without one
 */
public record ModelRegistry(Optional<Path> dir) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

  /** An engine without a registry: it switches to no model by id. */
  public static ModelRegistry none() {
    return new ModelRegistry(Optional.empty());
  }

  /** The registry in {@code dir} (which need not exist yet). */
  public static ModelRegistry at(Path dir) {
    return new ModelRegistry(Optional.of(dir.toAbsolutePath().normalize()));
  }

  /** The directory of model {@code id}, if the registry holds it (a real directory with a card). */
  public Optional<Path> find(String id) {
    if (dir.isEmpty() || id == null || !ID.matcher(id).matches()) {
      return Optional.empty();
    }
    Path model = dir.get().resolve(id);
    boolean present =
        Files.isDirectory(model, LinkOption.NOFOLLOW_LINKS)
            && Files.isRegularFile(model.resolve(ModelCard.FILE), LinkOption.NOFOLLOW_LINKS)
            && Files.isRegularFile(model.resolve("model.onnx"), LinkOption.NOFOLLOW_LINKS);
    return present ? Optional.of(model) : Optional.empty();
  }

  /** The id of the model in {@code modelDir} if it is a model of this registry. */
  public Optional<String> idOf(Path modelDir) {
    Path d = modelDir.toAbsolutePath().normalize();
    return dir.filter(r -> r.equals(d.getParent()))
        .map(r -> d.getFileName().toString())
        .filter(id -> find(id).isPresent());
  }
}
