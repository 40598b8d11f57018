package dev.anvil.context.embed;

/**
 * How an encoder uses its cores: {@code sessions} ONNX Runtime sessions, each splitting its
 * operators over {@code threadsPerSession} threads. Every session holds a copy of the weights.
 *
 * @param sessions sessions that run batches side by side (at least 1)
 * @param threadsPerSession ONNX Runtime intra-op threads of each (at least 1)
 */
public record Parallelism(int sessions, int threadsPerSession) {
  /**
   * @throws IllegalArgumentException if a count is below 1
   */
  public Parallelism {
    if (sessions < 1 || threadsPerSession < 1) {
      throw new IllegalArgumentException(
          "need sessions >= 1 and threadsPerSession >= 1; was "
              + sessions
              + ", "
              + threadsPerSession);
    }
  }

  /**
   * {@code threads} single-threaded sessions: the default, measured faster than one session of as
   * many threads on 2 cores (docs/benchmarks.md, {@code EmbedderBenchmark}).
   */
  public static Parallelism sessions(int threads) {
    return new Parallelism(threads, 1);
  }

  /** One session whose operators run on {@code threads} threads. */
  public static Parallelism intraOp(int threads) {
    return new Parallelism(1, threads);
  }
}
