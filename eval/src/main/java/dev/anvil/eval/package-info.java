/**
 * Retrieval evaluation on BEIR-format data sets: loading a split (including the dev split carved
 * from the training judgements, {@link dev.anvil.eval.Splits}), nDCG@k and recall@k.
 */
package dev.anvil.eval;
