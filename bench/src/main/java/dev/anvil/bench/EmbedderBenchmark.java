package dev.anvil.bench;

import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.embed.Parallelism;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Embedding throughput of all-MiniLM-L6-v2: Anvil's {@link OnnxEmbedder} against langchain4j's
 * {@code AllMiniLmL6V2EmbeddingModel} (same ONNX file, same ONNX Runtime) on the same batch of 32
 * sentences (~12–30 words); with {@code model=int8}, the int8 export on both sides ({@code
 * all-minilm-l6-v2-q} against {@code AllMiniLmL6V2QuantizedEmbeddingModel}). Scores are sentences
 * per second. {@code parallelism} sets how Anvil uses its threads: {@code sessions} (the default:
 * one single-threaded session per thread, batches side by side) or {@code intraop} (one session
 * whose operators use all the threads); it does not change langchain4j's side.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true"})
public class EmbedderBenchmark {
  static final int BATCH = 32;

  @Param({"1", "2"})
  public int threads;

  @Param({"fp32", "int8"})
  public String model;

  @Param({"sessions", "intraop"})
  public String parallelism;

  private OnnxEmbedder ours;
  private dev.langchain4j.model.embedding.EmbeddingModel theirs;
  private ExecutorService theirExecutor;
  private List<String> sentences;
  private List<TextSegment> segments;

  @Setup
  public void setup() {
    sentences = sentences(BATCH, 7);
    segments = sentences.stream().map(TextSegment::from).toList();
    boolean int8 = model.equals("int8");
    ModelSource source =
        int8 ? ModelSource.packaged(ModelSource.ALL_MINILM_L6_V2_Q) : ModelSource.packagedMiniLm();
    ours =
        OnnxEmbedder.open(
            source,
            source.config(),
            parallelism.equals("intraop")
                ? Parallelism.intraOp(threads)
                : Parallelism.sessions(threads),
            OnnxEmbedder.DEFAULT_MAX_TOKENS,
            OnnxEmbedder.DEFAULT_BATCH_SIZE);
    // langchain4j parallelises a batch over an executor, one text per task; give it as many
    // threads as ONNX Runtime gets on our side.
    theirExecutor = Executors.newFixedThreadPool(threads);
    theirs =
        int8
            ? new AllMiniLmL6V2QuantizedEmbeddingModel(theirExecutor)
            : new AllMiniLmL6V2EmbeddingModel(theirExecutor);
  }

  @TearDown
  public void tearDown() {
    ours.close();
    theirExecutor.shutdownNow();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public float[][] anvilOnnxEmbedder() {
    return ours.embedDocuments(sentences);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public Object langchain4j() {
    return theirs.embedAll(segments).content();
  }

  /** Reproducible English-like sentences of 12 to 30 words. */
  static List<String> sentences(int n, long seed) {
    String[] words =
        ("the a of to and in platform kernel search policy salary compensation engineer cluster latency "
                + "index vector query document security review budget forecast contract customer release "
                + "migration outage design network storage training model evaluation benchmark audit")
            .split(" ");
    Random r = new Random(seed);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder sb = new StringBuilder();
      int len = 12 + r.nextInt(19);
      for (int w = 0; w < len; w++) {
        sb.append(words[r.nextInt(words.length)]).append(w == len - 1 ? "." : " ");
      }
      out.add(Character.toUpperCase(sb.charAt(0)) + sb.substring(1));
    }
    return out;
  }
}
