package dev.anvil.trainer.train;

/**
 * How a job trains.
 *
 * @param epochs passes over the training examples
 * @param batchSize examples per step (for embeddings also the in-batch negatives per query)
 * @param learningRate peak learning rate
 * @param warmupSteps steps of linear warm-up from 0 to the peak
 * @param schedule what the rate does after warm-up
 * @param weightDecay AdamW's decoupled weight decay (not on biases and LayerNorms)
 * @param maxSeqLength longest input in tokens
 * @param seed seed of data order, dropout and new weights: same seed, same run
 * @param evalEvery evaluate on the held-out examples every so many steps (and at the end)
 * @param checkpointEvery save weights and optimizer state every so many steps
 * @param patience stop after this many evaluations without improvement (0: never)
 * @param holdout fraction of the examples held out for evaluation
 * @param scale the contrastive loss's similarity scale (MultipleNegativesRankingLoss: 20)
 * @param maxGradNorm gradients are scaled down to this global norm
 */
public record Hyperparameters(
    int epochs,
    int batchSize,
    double learningRate,
    int warmupSteps,
    Schedule schedule,
    double weightDecay,
    int maxSeqLength,
    long seed,
    int evalEvery,
    int checkpointEvery,
    int patience,
    double holdout,
    double scale,
    double maxGradNorm) {

  /** The learning rate after warm-up. */
  public enum Schedule {
    /** Linear decay to 0 at the last step. */
    LINEAR,
    /** Constant. */
    CONSTANT
  }

  /** The learning rate at a step (0-based) of {@code totalSteps}. */
  public double learningRateAt(int step, int totalSteps) {
    if (step < warmupSteps) {
      return learningRate * (step + 1) / warmupSteps;
    }
    return switch (schedule) {
      case CONSTANT -> learningRate;
      case LINEAR ->
          learningRate * Math.max(0, totalSteps - step) / Math.max(1, totalSteps - warmupSteps);
    };
  }
}
