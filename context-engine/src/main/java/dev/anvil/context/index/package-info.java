/**
 * The Lucene side, and the only package that imports Lucene: how chunks and their tags are laid out
 * in fields ({@link dev.anvil.context.index.IndexFields}), the one translator from the rbac filter
 * AST to Lucene queries ({@link dev.anvil.context.index.LuceneFilters}), and the BM25 and kNN
 * retrieval of a snapshot ({@link dev.anvil.context.index.IndexSnapshot}), each with the filter
 * inside.
 */
package dev.anvil.context.index;
