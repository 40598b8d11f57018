/**
 * Where chunks are kept and searched, and the only package (with its {@code elastic} sub-package)
 * that imports Lucene: the backend seam ({@link dev.anvil.context.index.ChunkIndex} and {@link
 * dev.anvil.context.index.IndexSnapshot}, BM25 and kNN retrieval of one request with the filter
 * inside each), and its embedded implementation: how chunks and their tags are laid out in fields
 * ({@link dev.anvil.context.index.IndexFields}), the Lucene translator of the rbac filter AST
 * ({@link dev.anvil.context.index.LuceneFilters}) and {@link dev.anvil.context.index.LuceneIndex}.
 */
package dev.anvil.context.index;
