package dev.anvil.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.ConstantScoreScorerSupplier;
import org.apache.lucene.search.ConstantScoreWeight;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.ScorerSupplier;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.BitSetIterator;
import org.apache.lucene.util.FixedBitSet;

/**
 * A filter evaluated once into one bit set per segment, then served from the bits: how a Lucene
 * expert filters many searches by one fixed filter. The raw-Lucene baseline of {@link
 * FilterSelectivity} uses it, so the engine's per-segment policy-filter cache is compared with the
 * best hand-written equivalent, not with a filter re-evaluated per search.
 */
final class CachedBits extends Query {
  private final String name;
  private final List<FixedBitSet> bits;

  private CachedBits(String name, List<FixedBitSet> bits) {
    this.name = name;
    this.bits = bits;
  }

  /** Evaluates {@code filter} on every segment of {@code searcher}'s reader. */
  static CachedBits of(String name, IndexSearcher searcher, Query filter) throws IOException {
    Weight w = searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
    List<FixedBitSet> bits = new ArrayList<>();
    for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
      FixedBitSet set = new FixedBitSet(leaf.reader().maxDoc());
      Scorer s = w.scorer(leaf);
      if (s != null) {
        set.or(s.iterator());
      }
      bits.add(set);
    }
    return new CachedBits(name, bits);
  }

  /** How many documents the filter admits. */
  long cardinality() {
    return bits.stream().mapToLong(FixedBitSet::cardinality).sum();
  }

  /** The admitted documents of one segment. */
  FixedBitSet bits(LeafReaderContext leaf) {
    return bits.get(leaf.ord);
  }

  @Override
  public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) {
    return new ConstantScoreWeight(this, boost) {
      @Override
      public ScorerSupplier scorerSupplier(LeafReaderContext leaf) {
        FixedBitSet set = bits.get(leaf.ord);
        DocIdSetIterator it = new BitSetIterator(set, set.cardinality());
        return ConstantScoreScorerSupplier.fromIterator(it, score(), scoreMode, set.length());
      }

      @Override
      public boolean isCacheable(LeafReaderContext leaf) {
        return false;
      }
    };
  }

  @Override
  public void visit(QueryVisitor visitor) {
    visitor.visitLeaf(this);
  }

  @Override
  public String toString(String field) {
    return "CachedBits(" + name + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CachedBits c && c.name.equals(name) && c.bits == bits;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, System.identityHashCode(bits));
  }
}
