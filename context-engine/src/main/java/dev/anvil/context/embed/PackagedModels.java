package dev.anvil.context.embed;

import dev.anvil.modelcard.EncoderConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The models packaged with Anvil, by name: see {@link ModelSource#packaged}. */
final class PackagedModels {
  /** Name to source, in the order {@link ModelSource#packagedNames()} lists them. */
  static final Map<String, ModelSource.Classpath> MODELS = models();

  private PackagedModels() {}

  private static Map<String, ModelSource.Classpath> models() {
    Map<String, ModelSource.Classpath> m = new LinkedHashMap<>();
    for (String name :
        List.of(
            ModelSource.ALL_MINILM_L6_V2,
            ModelSource.ALL_MINILM_L6_V2_Q,
            ModelSource.BGE_SMALL_EN_V15)) {
      // langchain4j's jars name their resources after the model: NAME.onnx, NAME-tokenizer.json.
      m.put(
          name,
          new ModelSource.Classpath(
              name,
              "/" + name + ".onnx",
              "/" + name + "-tokenizer.json",
              EncoderConfig.PACKAGED + name + "/"));
    }
    return Collections.unmodifiableMap(m);
  }
}
