package dev.anvil.context.index;

import java.io.IOException;
import java.util.Objects;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.ConstantScoreQuery;
import org.apache.lucene.search.FilterWeight;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Weight;

/**
 * A compiled access filter as one opaque, non-scoring unit: what the index's query cache keeps per
 * segment (see {@link PolicyFilterCache}).
 *
 * <p>Why not the translated query itself: a {@code BooleanQuery} dissolves a FILTER clause that is
 * a {@code ConstantScoreQuery} or a pure conjunction into its own clauses when it rewrites, so a
 * policy filter would reach the cache in pieces, or not at all, and be evaluated anew by every
 * search. Wrapped, it stays whole, and equal filters (the same principal under the same policy
 * version, which compiles to the same filter) are equal queries: one cached bit set per segment
 * serves BM25, kNN and every later search of that principal until the segment goes away.
 */
final class PolicyFilterQuery extends Query {
  private final Query filter;

  PolicyFilterQuery(Query filter) {
    this.filter = Objects.requireNonNull(filter);
  }

  Query filter() {
    return filter;
  }

  @Override
  public Query rewrite(IndexSearcher searcher) throws IOException {
    Query rewritten = filter.rewrite(searcher);
    return rewritten == filter ? this : new PolicyFilterQuery(rewritten);
  }

  @Override
  public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost)
      throws IOException {
    // A constant score where one is asked for. The weight names this query, not the filter
    // inside: the query cache keys and decides by the weight's query.
    return new FilterWeight(
        this, searcher.createWeight(new ConstantScoreQuery(filter), scoreMode, boost)) {};
  }

  @Override
  public void visit(QueryVisitor visitor) {
    filter.visit(visitor.getSubVisitor(BooleanClause.Occur.FILTER, this));
  }

  @Override
  public String toString(String field) {
    return "policy(" + filter.toString(field) + ")";
  }

  @Override
  public boolean equals(Object other) {
    return sameClassAs(other) && filter.equals(((PolicyFilterQuery) other).filter);
  }

  @Override
  public int hashCode() {
    return 31 * classHash() + filter.hashCode();
  }
}
