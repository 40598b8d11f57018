/**
 * Data-set snapshots of experts' final judgments: a versioned, self-verifying folder that a
 * fine-tuning job trains on (its train split) and the promotion gate evaluates on (its dev split,
 * as graded qrels). Written by the judgments module, read by the trainer; it depends on neither.
 */
package dev.anvil.eval.snapshot;
