package dev.anvil.context.index.elastic;

import dev.anvil.context.backend.IndexBackend;

/** The cluster products the backend's tests run against, each on the node of its fixture. */
public enum TestCluster {
  ELASTICSEARCH,
  OPENSEARCH;

  /** The product's node of this test JVM, started on first use. */
  public ClusterNode node() {
    return switch (this) {
      case ELASTICSEARCH -> ElasticNode.shared();
      case OPENSEARCH -> OpenSearchNode.shared();
    };
  }

  /** The dialect the backend speaks to the product. */
  public ClusterDialect dialect() {
    return switch (this) {
      case ELASTICSEARCH -> ClusterDialect.ELASTICSEARCH;
      case OPENSEARCH -> ClusterDialect.OPENSEARCH;
    };
  }

  /** A backend on the product's node with an index prefix no other caller of this JVM gets. */
  public IndexBackend freshBackend() {
    return new IndexBackend.Cluster(dialect(), node().freshConfig());
  }
}
