package dev.anvil.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA (Hu et al.): low-rank adapters beside chosen linear layers of a frozen encoder. A layer
 * {@code y = x W^T + b} becomes {@code y = x W^T + b + (alpha / r) * dropout(x) A^T B^T}, with
 * {@code A} [r, in] drawn from N(0, 1/r) and {@code B} [out, r] zero, so that training starts from
 * the base model exactly. Only {@code A} and {@code B} learn. Saved alone they are small; merged
 * ({@code W += (alpha / r) B A}) they make an ordinary encoder, which is what is exported to ONNX.
 *
 * <p>Names follow the base weights: {@code <layer>.lora_A} and {@code <layer>.lora_B}, e.g. {@code
 * encoder.layer.0.attention.self.query.lora_A}.
 */
public final class LoraAdapters {
  /** The adapters' file in a model's {@code adapter/} folder. */
  public static final String FILE = "adapter_model.safetensors";

  /** Their settings, beside it. */
  public static final String CONFIG = "adapter_config.json";

  /**
   * Where adapters go and how big they are.
   *
   * @param rank r, the inner dimension
   * @param alpha the scale is alpha / r
   * @param dropout on the adapter's input while training
   * @param targets the linear layers of each encoder layer that get one, by their short names:
   *     query, key, value, attention.output.dense, intermediate.dense, output.dense
   */
  public record Settings(int rank, double alpha, double dropout, List<String> targets) {
    /** Every target a BERT layer has. */
    public static final List<String> TARGETS =
        List.of(
            "query",
            "key",
            "value",
            "attention.output.dense",
            "intermediate.dense",
            "output.dense");

    /** Rank 8, alpha 16, dropout 0.1, on query and value (as PEFT's default for BERT). */
    public static final Settings DEFAULTS = new Settings(8, 16, 0.1, List.of("query", "value"));

    public Settings {
      targets = List.copyOf(targets);
      if (rank < 1 || !(alpha > 0) || dropout < 0 || dropout >= 1 || targets.isEmpty()) {
        throw new IllegalArgumentException("LoRA needs rank >= 1, alpha > 0, 0 <= dropout < 1");
      }
      if (!TARGETS.containsAll(targets)) {
        throw new IllegalArgumentException("LoRA targets: expected some of " + TARGETS);
      }
    }

    double scale() {
      return alpha / rank;
    }

    /** The full name of a target's linear layer in layer {@code i}. */
    static String layer(int i, String target) {
      String p = "encoder.layer." + i + ".";
      return switch (target) {
        case "query", "key", "value" -> p + "attention.self." + target;
        default -> p + target;
      };
    }
  }

  private final Settings settings;
  private final Map<String, NDArray> weights; // lora_A and lora_B, by name

  private LoraAdapters(Settings settings, Map<String, NDArray> weights) {
    this.settings = settings;
    this.weights = weights;
  }

  /** Fresh adapters for {@code config}'s layers: A Gaussian, B zero; deterministic by seed. */
  public static LoraAdapters init(
      BertConfig config, Settings settings, long seed, NDManager manager) {
    Random r = new Random(seed);
    Map<String, NDArray> w = new LinkedHashMap<>();
    Map<String, Shape> shapes = BertEncoder.expectedShapes(config);
    for (int i = 0; i < config.layers(); i++) {
      for (String t : settings.targets()) {
        String layer = Settings.layer(i, t);
        Shape base = shapes.get(layer + ".weight"); // [out, in]
        float[] a = new float[(int) (settings.rank() * base.get(1))];
        double std = 1.0 / settings.rank();
        for (int j = 0; j < a.length; j++) {
          a[j] = (float) (r.nextGaussian() * std);
        }
        w.put(layer + ".lora_A", manager.create(a, new Shape(settings.rank(), base.get(1))));
        w.put(layer + ".lora_B", manager.zeros(new Shape(base.get(0), settings.rank())));
      }
    }
    return new LoraAdapters(settings, w);
  }

  /** Adapters as saved ({@link #save}). */
  public static LoraAdapters read(Path dir, NDManager manager) throws IOException {
    Settings s =
        new com.google.gson.Gson().fromJson(Files.readString(dir.resolve(CONFIG)), Settings.class);
    s = new Settings(s.rank(), s.alpha(), s.dropout(), s.targets()); // checked as constructed
    Map<String, NDArray> w = new LinkedHashMap<>();
    Safetensors.read(dir.resolve(FILE))
        .forEach((n, t) -> w.put(n, manager.create(t.data(), new Shape(t.shape()))));
    return new LoraAdapters(s, w);
  }

  public Settings settings() {
    return settings;
  }

  /** The trainable weights (live arrays), by name. */
  public Map<String, NDArray> weights() {
    return weights;
  }

  /** How many numbers they hold. */
  public long size() {
    return weights.values().stream().mapToLong(a -> a.getShape().size()).sum();
  }

  /** The adapter's addition to {@code layer}'s output for input {@code x}, or null if none. */
  NDArray delta(NDArray x, String layer, boolean training) {
    NDArray a = weights.get(layer + ".lora_A");
    if (a == null) {
      return null;
    }
    NDArray in = training && settings.dropout() > 0 ? dropout(x, settings.dropout()) : x;
    NDArray low = in.matMul(a.transpose()).matMul(weights.get(layer + ".lora_B").transpose());
    // Not mul(scale): the graph keeps the factor (see Autograd.constant).
    return low.mul(Autograd.constant(low, (float) settings.scale()));
  }

  private static NDArray dropout(NDArray x, double p) {
    return ai.djl.nn.norm.Dropout.dropout(x, (float) p, true).singletonOrThrow();
  }

  /** The base weights with every adapter merged in: {@code W + (alpha / r) B A}. */
  Map<String, Tensor> merged(Map<String, NDArray> base) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    base.forEach(
        (name, w) -> {
          String layer = name.substring(0, name.length() - ".weight".length());
          NDArray a = name.endsWith(".weight") ? weights.get(layer + ".lora_A") : null;
          NDArray merged =
              a == null
                  ? w
                  : w.add(weights.get(layer + ".lora_B").matMul(a).mul((float) settings.scale()));
          out.put(name, new Tensor(merged.getShape().getShape(), merged.toFloatArray()));
        });
    return out;
  }

  /** Writes {@link #FILE} and {@link #CONFIG} into {@code dir}. */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Tensor> t = new LinkedHashMap<>();
    weights.forEach((n, a) -> t.put(n, new Tensor(a.getShape().getShape(), a.toFloatArray())));
    Safetensors.write(dir.resolve(FILE), t);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("peft_type", "LORA");
    config.put("rank", settings.rank());
    config.put("alpha", settings.alpha());
    config.put("dropout", settings.dropout());
    config.put("targets", new ArrayList<>(settings.targets()));
    Files.writeString(
        dir.resolve(CONFIG),
        new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(config) + "\n");
  }
}
