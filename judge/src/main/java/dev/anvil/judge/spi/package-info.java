/**
 * What judgments need from the context engine: a chunk as a principal may read it, and the rankings
 * of each retriever for a query (for the active-learning queue). The engine implements it; tests
 * use an in-memory corpus.
 */
package dev.anvil.judge.spi;
