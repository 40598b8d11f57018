package dev.anvil.context.index.elastic;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.rbac.filter.Filter;
import java.util.List;

/**
 * Translates rbac's filter AST into Elasticsearch query DSL over the fields {@link ElasticIndex}
 * maps: the second compiler of the one filter AST (the first is {@code LuceneFilters}). The result
 * matches exactly the chunks whose tags the filter matches, and is meant as a non-scoring clause:
 * the {@code filter} of the BM25 bool query and the {@code filter} of the kNN search (applied
 * inside the approximate search, never after it). {@code BackendDifferentialTest} proves both
 * compilers select the same chunks.
 */
public final class ElasticFilters {
  /** Keyword field of each tag's values: {@code tags.<name>}. */
  static final String TAGS = "tags";

  /** Integer field of an ordered tag's rank: {@code ranks.<name>}. */
  static final String RANKS = "ranks";

  /** Names of the tags a chunk carries (for {@code has(tag)}). */
  static final String PRESENT = "tag_present";

  private ElasticFilters() {}

  /** The query matching exactly the chunks {@code filter} admits. */
  public static JsonObject toQuery(Filter filter) {
    return switch (filter) {
      case Filter.All a -> leaf("match_all", new JsonObject());
      case Filter.None n -> leaf("match_none", new JsonObject());
      case Filter.Term t -> leaf("term", field(TAGS + "." + t.tag(), t.value()));
      case Filter.AnyOf a -> {
        JsonArray values = new JsonArray();
        a.values().forEach(values::add);
        JsonObject terms = new JsonObject();
        terms.add(TAGS + "." + a.tag(), values);
        yield leaf("terms", terms);
      }
      case Filter.Range r -> {
        JsonObject bounds = new JsonObject();
        bounds.addProperty("gte", r.minRank());
        bounds.addProperty("lte", r.maxRank());
        JsonObject range = new JsonObject();
        range.add(RANKS + "." + r.tag(), bounds);
        yield leaf("range", range);
      }
      case Filter.Exists e -> leaf("term", field(PRESENT, e.tag()));
      case Filter.And and -> bool("filter", and.children());
      case Filter.Or or -> {
        JsonObject q = bool("should", or.children());
        q.getAsJsonObject("bool").addProperty("minimum_should_match", 1);
        yield q;
      }
      case Filter.Not not -> {
        // A bool of must_not alone matches every other chunk: the complement, as in Lucene.
        JsonObject b = new JsonObject();
        JsonArray mustNot = new JsonArray();
        mustNot.add(toQuery(not.child()));
        b.add("must_not", mustNot);
        yield leaf("bool", b);
      }
    };
  }

  private static JsonObject bool(String occur, List<Filter> children) {
    JsonArray clauses = new JsonArray();
    for (Filter c : children) {
      clauses.add(toQuery(c));
    }
    JsonObject b = new JsonObject();
    b.add(occur, clauses);
    return leaf("bool", b);
  }

  private static JsonObject field(String name, String value) {
    JsonObject o = new JsonObject();
    o.addProperty(name, value);
    return o;
  }

  private static JsonObject leaf(String type, JsonObject body) {
    JsonObject o = new JsonObject();
    o.add(type, body);
    return o;
  }
}
