/** Retrieval evaluation on BEIR-format data sets: loading, nDCG@k and recall@k. */
package dev.anvil.eval;
