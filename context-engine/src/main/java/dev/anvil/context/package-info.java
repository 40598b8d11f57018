/**
 * The context engine: tagged documents split into chunks, indexed (in Lucene, or in an
 * Elasticsearch or OpenSearch cluster) for BM25 and vector search, and searched with the asking
 * user's compiled policy filter inside every query. {@link dev.anvil.context.ContextEngine} is the
 * entry point; its values are in {@code api}.
 */
package dev.anvil.context;
