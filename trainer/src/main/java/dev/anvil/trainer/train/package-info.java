/**
 * The training loop: tasks (contrastive embedding fine-tuning, sequence classification), AdamW with
 * warm-up, evaluation, early stopping, and checkpoints that a killed job resumes from.
 */
package dev.anvil.trainer.train;
