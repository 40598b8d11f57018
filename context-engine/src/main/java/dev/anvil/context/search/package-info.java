/**
 * Every read: hybrid search (BM25 and kNN with the compiled policy filter inside each, fused by
 * reciprocal rank, packed into a token budget) and reading one document, each chunk decided again
 * before it is served.
 */
package dev.anvil.context.search;
