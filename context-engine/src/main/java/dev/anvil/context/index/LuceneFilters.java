package dev.anvil.context.index;

import dev.anvil.rbac.filter.Filter;
import java.util.List;
import org.apache.lucene.document.IntField;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;

/**
 * Translates rbac's filter AST into a Lucene query over {@link IndexFields}: the only place that
 * builds access filters. The result matches exactly the chunks whose tags the filter matches
 * (checked against {@link Filter#matches} by {@code LuceneFiltersTest}), and is meant as a
 * non-scoring clause: the FILTER of a BM25 query and the filter of a kNN query.
 */
public final class LuceneFilters {
  private LuceneFilters() {}

  /**
   * The query matching exactly the chunks the filter admits, as one non-scoring unit the index
   * caches per segment (see {@link PolicyFilterCache}).
   */
  public static Query toQuery(Filter filter) {
    return new PolicyFilterQuery(translate(filter));
  }

  /**
   * The same query without the caching wrapper: for one-off filters, such as the filters of a
   * policy diff, which would otherwise push the serving principals' bit sets out of the cache.
   */
  static Query toUncachedQuery(Filter filter) {
    return translate(filter);
  }

  private static Query translate(Filter f) {
    return switch (f) {
      case Filter.All a -> new MatchAllDocsQuery();
      case Filter.None n -> new MatchNoDocsQuery("policy admits nothing");
      case Filter.Term t -> new TermQuery(new Term(IndexFields.tag(t.tag()), t.value()));
      case Filter.AnyOf a ->
          new TermInSetQuery(
              IndexFields.tag(a.tag()), a.values().stream().map(BytesRef::new).toList());
      case Filter.Range r ->
          IntField.newRangeQuery(IndexFields.rank(r.tag()), r.minRank(), r.maxRank());
      case Filter.Exists e -> new TermQuery(new Term(IndexFields.PRESENT, e.tag()));
      case Filter.And and -> bool(and.children(), Occur.FILTER);
      case Filter.Or or -> bool(or.children(), Occur.SHOULD);
      case Filter.Not not ->
          new BooleanQuery.Builder()
              .add(new MatchAllDocsQuery(), Occur.FILTER)
              .add(translate(not.child()), Occur.MUST_NOT)
              .build();
    };
  }

  private static Query bool(List<Filter> children, Occur occur) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (Filter c : children) {
      b.add(translate(c), occur);
    }
    if (occur == Occur.SHOULD) {
      b.setMinimumNumberShouldMatch(1);
    }
    return b.build();
  }
}
