/**
 * The Lucene side: how chunks and their tags are laid out in fields ({@link
 * dev.anvil.context.index.IndexFields}) and the one translator from the rbac filter AST to Lucene
 * queries ({@link dev.anvil.context.index.LuceneFilters}). Nothing else builds access filters.
 */
package dev.anvil.context.index;
