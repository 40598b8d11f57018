package dev.anvil.trainer.model;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.anvil.modelcard.EncoderConfig;
import dev.anvil.modelcard.ModelCardException;
import dev.anvil.modelcard.Pooling;
import dev.anvil.modelcard.Prompts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sentence encoder: a {@link BertEncoder} with its tokenizer; embeddings are the mean of the
 * token vectors over real tokens, scaled to unit length (sentence-transformers' recipe, as the
 * context engine embeds).
 */
public final class EncoderModel implements AutoCloseable {
  private final BertEncoder encoder;
  private final HuggingFaceTokenizer tokenizer;
  private final Path tokenizerFile;
  private final int maxLength;
  private Pooling pooling = Pooling.MEAN;
  private Prompts prompts = Prompts.NONE;

  /** Token ids, attention mask and token types of a batch, [batch, longest]. */
  public record Batch(NDArray ids, NDArray mask, NDArray types) {}

  private EncoderModel(BertEncoder encoder, Path tokenizerFile, int maxLength) {
    this.encoder = encoder;
    this.tokenizerFile = tokenizerFile;
    this.maxLength = Math.min(maxLength, encoder.config().maxPositions());
    try {
      this.tokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(tokenizerFile)
              .optMaxLength(this.maxLength)
              .optTruncation(true)
              .optPadding(true)
              .build();
    } catch (IOException | RuntimeException e) {
      throw new ModelFormatException(
          tokenizerFile + ": not a usable tokenizer.json: " + e.getMessage(), e);
    }
  }

  /** An encoder with its tokenizer; inputs longer than {@code maxLength} tokens are cut. */
  public static EncoderModel of(BertEncoder encoder, Path tokenizerJson, int maxLength) {
    return new EncoderModel(encoder, tokenizerJson, maxLength);
  }

  /**
   * Loads a Hugging Face model directory: {@code config.json}, {@code model.safetensors} and {@code
   * tokenizer.json}. Checkpoints of task models ({@code bert.} prefixes) load too; their task heads
   * are returned by {@link #extraTensors(Path)}.
   */
  public static EncoderModel fromHuggingFace(Path dir, Device device, int maxLength) {
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new ModelFormatException(
            dir
                + ": no "
                + f
                + " (a Hugging Face model directory has config.json, model.safetensors, tokenizer.json)");
      }
    }
    BertConfig config = BertConfig.read(dir.resolve("config.json"));
    Map<String, Tensor> tensors =
        encoderTensors(Safetensors.read(dir.resolve("model.safetensors")));
    BertEncoder encoder =
        BertEncoder.of(
            config,
            tensors,
            extraNames(tensors),
            device,
            dir.resolve("model.safetensors").toString());
    return new EncoderModel(encoder, dir.resolve("tokenizer.json"), maxLength)
        .withConfig(config(dir));
  }

  /** Loads an ONNX export of a BERT-family encoder and the tokenizer that goes with it. */
  public static EncoderModel fromOnnx(Path onnx, Path tokenizerJson, Device device, int maxLength) {
    OnnxWeights.Imported imported = OnnxWeights.read(onnx);
    BertEncoder encoder =
        BertEncoder.of(
            imported.config(), imported.tensors(), OnnxWeights.IGNORABLE, device, onnx.toString());
    Path dir = onnx.toAbsolutePath().getParent();
    return new EncoderModel(encoder, tokenizerJson, maxLength).withConfig(config(dir));
  }

  /**
   * Loads a model directory of either kind: Hugging Face ({@code config.json}, {@code
   * model.safetensors}) or ONNX ({@code model.onnx}), with its {@code tokenizer.json}.
   */
  public static EncoderModel load(Path dir, Device device, int maxLength) {
    if (Files.exists(dir.resolve("model.safetensors"))) {
      return fromHuggingFace(dir, device, maxLength);
    }
    if (Files.exists(dir.resolve("model.onnx"))) {
      return fromOnnx(dir.resolve("model.onnx"), dir.resolve("tokenizer.json"), device, maxLength);
    }
    throw new ModelFormatException(
        dir + ": not a model directory (no model.safetensors and no model.onnx)");
  }

  /** Tensors of a model directory that are not the encoder's (a classifier head, a pooler). */
  public static Map<String, Tensor> extraTensors(Path dir) {
    Map<String, Tensor> all = encoderTensors(Safetensors.read(dir.resolve("model.safetensors")));
    Map<String, Tensor> extra = new LinkedHashMap<>();
    all.forEach(
        (n, t) -> {
          if (!n.startsWith("embeddings.") && !n.startsWith("encoder.")) {
            extra.put(n, t);
          }
        });
    return extra;
  }

  /** Strips the {@code bert.} prefix of task checkpoints from encoder tensors. */
  private static Map<String, Tensor> encoderTensors(Map<String, Tensor> raw) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    raw.forEach((n, t) -> out.put(n.startsWith("bert.") ? n.substring(5) : n, t));
    return out;
  }

  private static java.util.Set<String> extraNames(Map<String, Tensor> tensors) {
    java.util.Set<String> extra = new java.util.HashSet<>();
    for (String n : tensors.keySet()) {
      if (n.startsWith("pooler.") || n.startsWith("classifier.")) {
        extra.add(n);
      }
    }
    return extra;
  }

  /** The encoder. */
  public BertEncoder encoder() {
    return encoder;
  }

  /** Longest input in tokens. */
  public int maxLength() {
    return maxLength;
  }

  /** Tokenizes texts into arrays of {@code manager}, padded to the longest. */
  public Batch tokenize(List<String> texts, NDManager manager) {
    Encoding[] enc = tokenizer.batchEncode(texts);
    int len = enc[0].getIds().length;
    long[] ids = new long[texts.size() * len];
    long[] mask = new long[ids.length];
    long[] types = new long[ids.length];
    for (int i = 0; i < enc.length; i++) {
      System.arraycopy(enc[i].getIds(), 0, ids, i * len, len);
      System.arraycopy(enc[i].getAttentionMask(), 0, mask, i * len, len);
      System.arraycopy(enc[i].getTypeIds(), 0, types, i * len, len);
    }
    ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(texts.size(), len);
    return new Batch(
        manager.create(ids, shape), manager.create(mask, shape), manager.create(types, shape));
  }

  /** Sentence embeddings [batch, hidden], unit length; with dropout when {@code training}. */
  public NDArray embed(Batch b, boolean training) {
    NDArray hidden = encoder.forward(b.ids(), b.mask(), b.types(), training);
    return BertEncoder.normalize(
        pooling == Pooling.CLS
            ? BertEncoder.clsPool(hidden)
            : BertEncoder.meanPool(hidden, b.mask()));
  }

  /**
   * A new model made of some of this one's layers (see {@link BertEncoder#pruned}), with the same
   * tokenizer, length and pooling; this one is unchanged.
   */
  public EncoderModel pruned(List<Integer> layers, Device device) {
    return new EncoderModel(encoder.pruned(layers, device), tokenizerFile, maxLength)
        .withPooling(pooling)
        .withPrompts(prompts);
  }

  /** A query as this model embeds it: with its query prompt. */
  public String query(String text) {
    return prompts.query() + text;
  }

  /** A document as this model embeds it: with its document prompt. */
  public String document(String text) {
    return prompts.document() + text;
  }

  public Prompts prompts() {
    return prompts;
  }

  /** Prompts queries and documents with {@code prompts} from now on; returns this model. */
  public EncoderModel withPrompts(Prompts prompts) {
    this.prompts = java.util.Objects.requireNonNull(prompts, "prompts");
    return this;
  }

  /** The pooling {@link #embed} uses. */
  public Pooling pooling() {
    return pooling;
  }

  /**
   * Pools with {@code pooling} from now on; returns this model. A model directory says which in
   * sentence-transformers' {@code 1_Pooling/config.json} ({@link #config(Path)}).
   */
  public EncoderModel withPooling(Pooling pooling) {
    this.pooling = java.util.Objects.requireNonNull(pooling, "pooling");
    return this;
  }

  /**
   * How a model directory says it pools and prompts (sentence-transformers' files, read as the
   * context engine reads them: see {@link EncoderConfig}).
   *
   * @throws ModelFormatException naming the file and field of an invalid configuration
   */
  public static EncoderConfig config(Path dir) {
    try {
      return EncoderConfig.directory(dir);
    } catch (ModelCardException e) {
      throw new ModelFormatException(e.getMessage(), e);
    }
  }

  /** Pools and prompts as {@code config} says from now on; returns this model. */
  public EncoderModel withConfig(EncoderConfig config) {
    return withPooling(config.pooling()).withPrompts(config.prompts());
  }

  /** Embeds texts (no dropout, no gradients) in batches of {@code batchSize}. */
  public float[][] embed(List<String> texts, int batchSize) {
    Autograd.offForThisThread();
    float[][] out = new float[texts.size()][];
    for (int i = 0; i < texts.size(); i += batchSize) {
      List<String> part = texts.subList(i, Math.min(texts.size(), i + batchSize));
      try (NDManager m = encoder.manager().newSubManager()) {
        float[] flat = embed(tokenize(part, m), false).toFloatArray();
        int h = encoder.config().hiddenSize();
        for (int j = 0; j < part.size(); j++) {
          out[i + j] = java.util.Arrays.copyOfRange(flat, j * h, (j + 1) * h);
        }
      }
    }
    return out;
  }

  /**
   * Saves a Hugging Face model directory: {@code config.json}, {@code model.safetensors} (the
   * encoder's weights and {@code extra} ones, e.g. a classifier head), {@code tokenizer.json}.
   */
  public void saveHuggingFace(Path dir, Map<String, Tensor> extra) throws IOException {
    Files.createDirectories(dir);
    encoder.config().write(dir.resolve("config.json"));
    Map<String, Tensor> all = new HashMap<>(encoder.toTensors());
    all.putAll(extra);
    Safetensors.write(dir.resolve("model.safetensors"), all);
    writePooling(dir);
    if (!tokenizerFile.toAbsolutePath().equals(dir.resolve("tokenizer.json").toAbsolutePath())) {
      Files.copy(tokenizerFile, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Writes the encoder as {@code model.onnx} in {@code dir} (see {@link OnnxExport}), beside the
   * tokenizer, so ONNX Runtime (the context engine) serves it; {@code metadata} become the model's
   * properties.
   */
  public Path exportOnnx(Path dir, Map<String, String> metadata) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("model.onnx");
    OnnxExport.write(encoder.config(), encoder.toTensors(), metadata, file);
    writePooling(dir);
    if (!tokenizerFile.toAbsolutePath().equals(dir.resolve("tokenizer.json").toAbsolutePath())) {
      Files.copy(tokenizerFile, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    }
    return file;
  }

  /**
   * Says how the model pools and prompts, as sentence-transformers does, so that whoever serves it
   * embeds as it was trained.
   */
  private void writePooling(Path dir) throws IOException {
    new EncoderConfig(pooling, prompts).write(dir, encoder.config().hiddenSize());
  }

  /** The tokenizer file. */
  public Path tokenizerFile() {
    return tokenizerFile;
  }

  @Override
  public void close() {
    tokenizer.close();
    encoder.close();
  }
}
