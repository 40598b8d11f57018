/**
 * The external-cluster backend: the engine's chunks in an index of an existing Elasticsearch
 * cluster (8.x) or OpenSearch cluster (2.x with the k-NN plugin), the same requests on both except
 * where {@link dev.anvil.context.index.elastic.ClusterDialect} says. {@link
 * dev.anvil.context.index.elastic.ElasticFilters} is the second compiler of rbac's filter AST
 * (beside the Lucene one), producing the bool filter that goes both into the BM25 query and into
 * the kNN search's own {@code filter}, so the approximate search is pre-filtered and never returns
 * fewer than k for lack of visible chunks. The cluster's own document-level security is not relied
 * on: Anvil's compiled policy is the filter.
 *
 * <p>Text is analysed by Anvil (Lucene's English analyser, as in the embedded index) and sent as
 * terms, so BM25 matches the embedded backend term for term whatever analysis plugins the cluster
 * has.
 */
package dev.anvil.context.index.elastic;
