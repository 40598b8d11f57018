package dev.anvil.context.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.anvil.context.api.ContextException;
import dev.anvil.modelcard.EncoderConfig;
import dev.anvil.modelcard.Pooling;
import dev.anvil.modelcard.Prompts;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * A sentence encoder run by ONNX Runtime: the model's query or document prefix ({@link Prompts}),
 * HF tokenization (DJL's tokenizers binding), batches sorted by length and padded only to their
 * longest text, the model's {@link Pooling} (mean over the attention mask, or the first token), and
 * L2 normalisation. The prefixes and pooling come from the model's {@link EncoderConfig}.
 *
 * <p>A dynamically quantized model (int8, e.g. {@code all-minilm-l6-v2-q}) is found out at open and
 * embeds one text at a time: its vectors would otherwise depend on the batch.
 *
 * <p>The model id names the {@code .onnx} bytes only, as a gate verdict does: the same file opened
 * with other pooling or prompts keeps its id although its vectors differ, so an index must be
 * rebuilt by hand after such a change.
 *
 * <p>{@link Parallelism} says how the cores are used: by default one single-threaded session per
 * core, each with its own copy of the model, running a call's batches side by side.
 *
 * <p>Thread-safe: concurrent calls run on different sessions. {@link #close()} releases them.
 */
public final class OnnxEmbedder implements Embedder {
  /**
   * Default maximum sequence length, special tokens included: 256, the max_seq_length that
   * sentence-transformers uses for all-MiniLM-L6-v2 (its published benchmark numbers assume it).
   */
  public static final int DEFAULT_MAX_TOKENS = 256;

  /** Default batch size. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  private final OrtEnvironment env;
  private final SessionPool sessions;
  private final HuggingFaceTokenizer tokenizer;
  private final String modelId;
  private final String digest;
  private final Optional<Path> directory;
  private final int dimension;
  private final int maxTokens;
  private final int documentPrefixTokens;
  private final int batchSize;
  private final EncoderConfig config;
  private final boolean wantsTokenTypes;
  private final String output;

  private OnnxEmbedder(
      ModelSource source,
      EncoderConfig config,
      Parallelism parallelism,
      int maxTokens,
      int batchSize)
      throws OrtException, IOException {
    this.config = config;
    byte[] model = source.model();
    this.digest = sha256(model);
    this.modelId = source.name() + "@" + digest.substring(0, 12);
    this.directory =
        source instanceof ModelSource.Directory d
            ? Optional.of(d.dir().toAbsolutePath())
            : Optional.empty();
    this.maxTokens = maxTokens;
    this.env = OrtEnvironment.getEnvironment();
    this.sessions = new SessionPool(env, model, parallelism);
    OrtSession any = sessions.any();
    this.wantsTokenTypes = any.getInputNames().contains("token_type_ids");
    this.output = any.getOutputNames().iterator().next();
    Map<String, String> tokenizerOptions = new HashMap<>();
    tokenizerOptions.put("padding", "false");
    tokenizerOptions.put("truncation", "true");
    tokenizerOptions.put("maxLength", Integer.toString(maxTokens));
    this.tokenizer =
        HuggingFaceTokenizer.newInstance(
            new ByteArrayInputStream(source.tokenizer()), tokenizerOptions);
    String documentPrefix = config.prompts().document();
    this.documentPrefixTokens = documentPrefix.isEmpty() ? 0 : countTokens(documentPrefix);
    if (maxTokens - documentPrefixTokens < 8) {
      tokenizer.close();
      sessions.close();
      throw new IllegalArgumentException(
          "the document prefix takes "
              + documentPrefixTokens
              + " of "
              + maxTokens
              + " tokens: need at least 8 left for the text");
    }
    float[] alone = embedBatch(sessions.any(), List.of("dimension probe"))[0];
    this.dimension = alone.length;
    this.batchSize = dependsOnBatch(alone) ? 1 : batchSize;
  }

  /**
   * Whether the model's vector of a text changes with the texts batched with it: a dynamically
   * quantized model (int8 activations, one scale per batch tensor) gives a text another vector
   * beside a longer one. Such a model embeds one text at a time, so a chunk's vector never depends
   * on what was ingested with it. A float model differs by rounding only (under 1e-5).
   */
  private boolean dependsOnBatch(float[] alone) {
    float[] beside =
        embedBatch(
            sessions.any(),
            List.of(
                "dimension probe",
                "A much longer companion text, padded against, with numbers 42 and 3.14 and rarer"
                    + " words: photosynthesis, epistemology, thermodynamics."))[0];
    for (int d = 0; d < alone.length; d++) {
      if (Math.abs(alone[d] - beside[d]) > 1e-3f) {
        return true;
      }
    }
    return false;
  }

  /** Texts embedded in one run of the model: 1 for a model whose vectors depend on the batch. */
  public int batchSize() {
    return batchSize;
  }

  /**
   * Opens an encoder with the pooling and prefixes its source describes ({@link
   * ModelSource#config()}).
   *
   * @param threads cores to use: as many single-threaded sessions ({@link Parallelism#sessions})
   * @throws ContextException if the model cannot be read or loaded, or its configuration is
   *     malformed
   */
  public static OnnxEmbedder open(ModelSource source, int threads) {
    return open(source, threads, DEFAULT_MAX_TOKENS, DEFAULT_BATCH_SIZE);
  }

  /**
   * Opens an encoder with an explicit sequence length and batch size, and the pooling and prefixes
   * its source describes.
   *
   * @throws ContextException if the model cannot be read or loaded, or its configuration is
   *     malformed
   */
  public static OnnxEmbedder open(ModelSource source, int threads, int maxTokens, int batchSize) {
    return open(source, source.config(), Parallelism.sessions(threads), maxTokens, batchSize);
  }

  /**
   * Opens an encoder with the given pooling and prefixes instead of those its source describes.
   *
   * @param maxTokens the most tokens a text has once prefixed, special tokens included
   * @throws IllegalArgumentException if a count is out of range, or the document prefix leaves
   *     fewer than 8 tokens of {@code maxTokens}
   * @throws ContextException if the model cannot be read or loaded
   */
  public static OnnxEmbedder open(
      ModelSource source,
      EncoderConfig config,
      Parallelism parallelism,
      int maxTokens,
      int batchSize) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(parallelism, "parallelism");
    if (maxTokens < 8 || batchSize < 1) {
      throw new IllegalArgumentException(
          "need maxTokens >= 8, batchSize >= 1; was " + maxTokens + ", " + batchSize);
    }
    try {
      return new OnnxEmbedder(source, config, parallelism, maxTokens, batchSize);
    } catch (OrtException | IOException e) {
      throw new ContextException(
          "cannot load the embedding model " + source.name() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String modelId() {
    return modelId;
  }

  @Override
  public Optional<String> digest() {
    return Optional.of(digest);
  }

  @Override
  public Optional<Path> directory() {
    return directory;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  /** The pooling and prefixes this encoder applies. */
  public EncoderConfig config() {
    return config;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The document prefix's tokens are taken off: a chunk cut to this many tokens still fits whole
   * once prefixed. A query keeps the full length, prefix included.
   */
  @Override
  public int maxTokens() {
    return maxTokens - documentPrefixTokens;
  }

  @Override
  public int countTokens(String text) {
    // Without truncation: the chunker must know the real length.
    return tokenizer.encode(text, false, false).getIds().length;
  }

  @Override
  public float[][] embed(InputType type, List<String> input) {
    String prefix =
        type == InputType.QUERY ? config.prompts().query() : config.prompts().document();
    List<String> texts = prefix.isEmpty() ? input : input.stream().map(t -> prefix + t).toList();
    float[][] out = new float[texts.size()][];
    // Tokenised once, sorted by token count so that each batch pads to a similar length; the
    // caller's order is restored at the end.
    Encoding[] encodings = tokenizer.batchEncode(texts);
    Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
    java.util.Arrays.sort(order, Comparator.comparingInt(i -> encodings[i].getIds().length));
    // Side by side, sessions take short batches (about two each), which also pad less.
    int size =
        sessions.size() == 1
            ? batchSize
            : Math.clamp(Math.ceilDiv(texts.size(), 2 * sessions.size()), 1, batchSize);
    int batches = Math.ceilDiv(texts.size(), size);
    try {
      sessions.forEach(
          batches,
          (session, b) -> {
            int start = b * size;
            int end = Math.min(order.length, start + size);
            Encoding[] batch = new Encoding[end - start];
            for (int i = start; i < end; i++) {
              batch[i - start] = encodings[order[i]];
            }
            float[][] vectors = embedBatch(session, batch);
            for (int i = start; i < end; i++) {
              out[order[i]] = vectors[i - start];
            }
          });
    } catch (OrtException e) {
      throw new ContextException("embedding failed: " + e.getMessage(), e);
    }
    return out;
  }

  private float[][] embedBatch(OrtSession session, List<String> texts) {
    return embedBatch(session, tokenizer.batchEncode(texts));
  }

  private float[][] embedBatch(OrtSession session, Encoding[] encodings) {
    int n = encodings.length;
    int len = 0;
    for (Encoding e : encodings) {
      len = Math.max(len, e.getIds().length);
    }
    long[] ids = new long[n * len];
    long[] mask = new long[n * len];
    long[] types = new long[n * len];
    for (int b = 0; b < n; b++) {
      long[] eIds = encodings[b].getIds();
      long[] eMask = encodings[b].getAttentionMask();
      long[] eTypes = encodings[b].getTypeIds();
      System.arraycopy(eIds, 0, ids, b * len, eIds.length);
      System.arraycopy(eMask, 0, mask, b * len, eMask.length);
      System.arraycopy(eTypes, 0, types, b * len, eTypes.length);
    }
    long[] shape = {n, len};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
      if (wantsTokenTypes) {
        inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
      }
      try (OrtSession.Result result = session.run(inputs, java.util.Set.of(output))) {
        OnnxTensor hidden = (OnnxTensor) result.get(0);
        int dim = (int) hidden.getInfo().getShape()[2];
        // One flat copy of [n, len, dim], not n * len small arrays.
        float[] flat = new float[n * len * dim];
        hidden.getFloatBuffer().get(flat);
        return pool(config.pooling(), flat, mask, n, len, dim);
      }
    } catch (OrtException e) {
      throw new ContextException("embedding failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * One vector per text from the encoder's last hidden state {@code [n, len, dim]} and the
   * attention mask ({@code n * len}), both flat in row-major order, scaled to unit length.
   */
  static float[][] pool(Pooling pooling, float[] hidden, long[] mask, int n, int len, int dim) {
    float[][] out = new float[n][dim];
    for (int b = 0; b < n; b++) {
      float[] v = out[b];
      switch (pooling) {
        // [CLS] is always the first token, and never padding (padding goes on the right).
        case CLS -> System.arraycopy(hidden, b * len * dim, v, 0, dim);
        case MEAN -> {
          int count = 0;
          for (int t = 0; t < len; t++) {
            if (mask[b * len + t] != 0) {
              int at = (b * len + t) * dim;
              for (int d = 0; d < dim; d++) {
                v[d] += hidden[at + d];
              }
              count++;
            }
          }
          for (int d = 0; d < dim; d++) {
            v[d] /= Math.max(1, count);
          }
        }
      }
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        norm += (double) v[d] * v[d];
      }
      float scale = norm == 0 ? 0f : (float) (1.0 / Math.sqrt(norm));
      for (int d = 0; d < dim; d++) {
        v[d] *= scale;
      }
    }
    return out;
  }

  @Override
  public void close() {
    try {
      sessions.close();
    } finally {
      tokenizer.close();
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
