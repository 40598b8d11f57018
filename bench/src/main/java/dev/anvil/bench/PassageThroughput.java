package dev.anvil.bench;

import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.eval.BeirDataset;
import java.nio.file.Path;
import java.util.List;

/**
 * Embedding throughput of the packaged models on real passages: the first N documents of a BEIR
 * corpus, embedded as the engine indexes them (title and text, as documents, truncated at the
 * engine's 256 tokens), in batches of {@value OnnxEmbedder#DEFAULT_BATCH_SIZE}, with the same ONNX
 * Runtime thread count for every model. The models take turns, round after round, so that a
 * neighbour's load on a shared machine falls on each alike. Prints passages per second.
 *
 * <p>{@code java --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -cp
 * bench/target/benchmarks.jar dev.anvil.bench.PassageThroughput ../shared/data/beir/scifact
 * [threads=2] [passages=512] [rounds=2] [models=all-minilm-l6-v2,bge-small-en-v1.5]}
 */
public final class PassageThroughput {
  private PassageThroughput() {}

  public static void main(String[] args) {
    Path beir = Path.of(args.length > 0 ? args[0] : "../shared/data/beir/scifact");
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 512;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    List<String> models =
        args.length > 4 ? List.of(args[4].split(",")) : ModelSource.packagedNames();
    List<String> passages =
        BeirDataset.load(beir, "test").corpus().stream()
            .limit(n)
            .map(d -> ChunkRecord.embeddedText(d.title(), d.text()))
            .toList();
    System.out.printf(
        "%d passages of %s, %d ONNX Runtime threads, batch %d, max %d tokens%n",
        passages.size(),
        beir.getFileName(),
        threads,
        OnnxEmbedder.DEFAULT_BATCH_SIZE,
        OnnxEmbedder.DEFAULT_MAX_TOKENS);
    OnnxEmbedder[] embedders = new OnnxEmbedder[models.size()];
    try {
      for (int m = 0; m < embedders.length; m++) {
        embedders[m] = OnnxEmbedder.open(ModelSource.packaged(models.get(m)), threads);
        embedders[m].embedDocuments(passages.subList(0, Math.min(64, passages.size()))); // warm-up
      }
      for (int r = 1; r <= rounds; r++) {
        for (int m = 0; m < embedders.length; m++) {
          long t = System.nanoTime();
          embedders[m].embedDocuments(passages);
          double seconds = (System.nanoTime() - t) / 1e9;
          System.out.printf(
              "round %d  %-18s %7.1f passages/s  (%.1f s)%n",
              r, models.get(m), passages.size() / seconds, seconds);
        }
      }
    } finally {
      for (OnnxEmbedder e : embedders) {
        if (e != null) {
          e.close();
        }
      }
    }
  }
}
