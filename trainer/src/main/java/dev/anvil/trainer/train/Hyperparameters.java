package dev.anvil.trainer.train;

import java.util.Objects;

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

  public Hyperparameters {
    Objects.requireNonNull(schedule, "schedule");
    positive("epochs", epochs);
    positive("batchSize", batchSize);
    positive("maxSeqLength", maxSeqLength);
    positive("evalEvery", evalEvery);
    positive("checkpointEvery", checkpointEvery);
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learningRate must be > 0, was " + learningRate);
    }
    if (warmupSteps < 0 || patience < 0 || weightDecay < 0) {
      throw new IllegalArgumentException(
          "warmupSteps, patience and weightDecay must be >= 0, were "
              + warmupSteps
              + ", "
              + patience
              + ", "
              + weightDecay);
    }
    if (holdout < 0 || holdout >= 1) {
      throw new IllegalArgumentException("holdout must be in [0, 1), was " + holdout);
    }
    if (!(scale > 0) || !(maxGradNorm > 0)) {
      throw new IllegalArgumentException(
          "scale and maxGradNorm must be > 0, were " + scale + ", " + maxGradNorm);
    }
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, was " + value);
    }
  }

  /** A builder starting from the defaults (those of a job spec that names no hyperparameter). */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Hyperparameters by name, each starting at its default: 1 epoch, batches of 16, learning rate
   * 2e-5 after 10 warm-up steps then linear decay, weight decay 0.01, 128 tokens, seed 42,
   * evaluation and checkpoint every 50 steps, no early stopping, 10% held out, scale 20, gradients
   * clipped to norm 1.
   */
  public static final class Builder {
    private int epochs = 1;
    private int batchSize = 16;
    private double learningRate = 2e-5;
    private int warmupSteps = 10;
    private Schedule schedule = Schedule.LINEAR;
    private double weightDecay = 0.01;
    private int maxSeqLength = 128;
    private long seed = 42;
    private int evalEvery = 50;
    private int checkpointEvery = 50;
    private int patience = 0;
    private double holdout = 0.1;
    private double scale = 20;
    private double maxGradNorm = 1.0;

    private Builder() {}

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    public Builder warmupSteps(int v) {
      warmupSteps = v;
      return this;
    }

    public Builder schedule(Schedule v) {
      schedule = Objects.requireNonNull(v, "schedule");
      return this;
    }

    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    public Builder maxSeqLength(int v) {
      maxSeqLength = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder evalEvery(int v) {
      evalEvery = v;
      return this;
    }

    public Builder checkpointEvery(int v) {
      checkpointEvery = v;
      return this;
    }

    /** Stop after this many evaluations without improvement (0: never). */
    public Builder patience(int v) {
      patience = v;
      return this;
    }

    public Builder holdout(double v) {
      holdout = v;
      return this;
    }

    public Builder scale(double v) {
      scale = v;
      return this;
    }

    public Builder maxGradNorm(double v) {
      maxGradNorm = v;
      return this;
    }

    /**
     * The hyperparameters.
     *
     * @throws IllegalArgumentException naming a value out of range
     */
    public Hyperparameters build() {
      return new Hyperparameters(
          epochs,
          batchSize,
          learningRate,
          warmupSteps,
          schedule,
          weightDecay,
          maxSeqLength,
          seed,
          evalEvery,
          checkpointEvery,
          patience,
          holdout,
          scale,
          maxGradNorm);
    }
  }

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
