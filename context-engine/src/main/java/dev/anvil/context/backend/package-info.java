/**
 * Which search backend an engine keeps its chunks in: the embedded Lucene index (the default) or an
 * index in an existing Elasticsearch or OpenSearch cluster. Both implement {@link
 * dev.anvil.context.index.ChunkIndex}; the rest of the engine does not know which it has.
 */
package dev.anvil.context.backend;
