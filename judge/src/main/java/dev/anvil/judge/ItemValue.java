package dev.anvil.judge;

/**
 * What a judgment of an item is worth, from the rankings of its query (see docs/judgments.md).
 *
 * @param uncertainty 1 for the task's query with the lowest margin between its top results, down to
 *     0 for the most confident one
 * @param disagreement how far apart the retrievers rank the item: (highest rank − lowest rank) /
 *     depth, a rank past the depth counting as depth + 1; 0 when they agree
 * @param cluster the group of near-identical chunks it belongs to; the queue spreads over groups
 * @param score {@code (uncertainty + disagreement) / 2}
 */
public record ItemValue(double uncertainty, double disagreement, int cluster, double score) {}
