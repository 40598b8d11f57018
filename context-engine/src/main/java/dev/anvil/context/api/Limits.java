package dev.anvil.context.api;

import java.util.List;
import java.util.Map;

/**
 * What one request, and one caller, may ask of the engine's service: configured once ({@code anvil
 * serve --max-*}, {@code ANVIL_MAX_*}, the chart's {@code contextEngine.limits}). A request past a
 * size limit is INVALID_ARGUMENT, and a caller past a rate or the server past a concurrency limit
 * RESOURCE_EXHAUSTED; each refusal names the limit and its value.
 *
 * @param queryChars longest query text
 * @param filterTags most tags in a request's filter
 * @param filterValues most values in a request's filter, all tags together
 * @param facets most facets asked for
 * @param topK most chunks asked for
 * @param tokenBudget largest token budget
 * @param concurrentSearches searches served at once, server-wide; more are refused at once
 * @param concurrentIngests ingest batches written at once, server-wide
 * @param requestsPerSecond each caller's sustained rate (a token bucket per principal)
 * @param burst each caller's burst above that rate
 * @param ingestMibPerSecond each caller's ingest streams are read at most this fast (MiB of
 *     documents per second, after a second's worth at once): past it the server reads the next
 *     document later, and HTTP/2 flow control holds the client back
 * @param ingestBufferMib documents received and not yet written, all streams together (MiB); past
 *     it a stream is refused
 */
public record Limits(
    int queryChars,
    int filterTags,
    int filterValues,
    int facets,
    int topK,
    int tokenBudget,
    int concurrentSearches,
    int concurrentIngests,
    double requestsPerSecond,
    int burst,
    int ingestMibPerSecond,
    int ingestBufferMib) {

  /** The defaults: generous for agents, tight enough that no request can exhaust the server. */
  public static final Limits DEFAULTS =
      new Limits(4096, 16, 1024, 16, SearchRequest.MAX_TOP_K, 100_000, 64, 8, 500, 1000, 16, 256);

  public Limits {
    for (int v :
        new int[] {
          queryChars,
          filterTags,
          filterValues,
          facets,
          topK,
          tokenBudget,
          concurrentSearches,
          concurrentIngests,
          burst,
          ingestMibPerSecond,
          ingestBufferMib
        }) {
      if (v < 1) {
        throw new IllegalArgumentException("every limit must be at least 1, was " + v);
      }
    }
    if (!(requestsPerSecond > 0)) {
      throw new IllegalArgumentException(
          "requests per second must be more than 0, was " + requestsPerSecond);
    }
  }

  /** These limits with another rate and burst per caller. */
  public Limits withCallerRate(double requestsPerSecond, int burst) {
    return new Limits(
        queryChars,
        filterTags,
        filterValues,
        facets,
        topK,
        tokenBudget,
        concurrentSearches,
        concurrentIngests,
        requestsPerSecond,
        burst,
        ingestMibPerSecond,
        ingestBufferMib);
  }

  /** These limits with another ingest rate per caller and ingest buffer. */
  public Limits withIngest(int ingestMibPerSecond, int ingestBufferMib) {
    return new Limits(
        queryChars,
        filterTags,
        filterValues,
        facets,
        topK,
        tokenBudget,
        concurrentSearches,
        concurrentIngests,
        requestsPerSecond,
        burst,
        ingestMibPerSecond,
        ingestBufferMib);
  }

  /**
   * Checks a request's sizes.
   *
   * @throws InvalidRequestException naming the field, the limit and its value
   */
  public void check(SearchRequest r) {
    if (r.query().length() > queryChars) {
      throw tooMany("query", "characters", queryChars, r.query().length(), "max-query-chars");
    }
    if (r.topK() > topK) {
      throw tooMany("top_k", "chunks", topK, r.topK(), "max-top-k");
    }
    if (r.tokenBudget() > tokenBudget) {
      throw tooMany("token_budget", "tokens", tokenBudget, r.tokenBudget(), "max-token-budget");
    }
    checkFilter(r.narrowTo());
    if (r.facets().size() > facets) {
      throw tooMany("facets", "facets", facets, r.facets().size(), "max-facets");
    }
  }

  /**
   * Checks a tag filter's size (a search's, or a corpus's tag query).
   *
   * @throws InvalidRequestException naming the limit and its value
   */
  public void checkFilter(Map<String, List<String>> filter) {
    if (filter.size() > filterTags) {
      throw tooMany("filter", "tags", filterTags, filter.size(), "max-filter-tags");
    }
    int values = filter.values().stream().mapToInt(List::size).sum();
    if (values > filterValues) {
      throw tooMany("filter", "values", filterValues, values, "max-filter-values");
    }
  }

  private static InvalidRequestException tooMany(
      String field, String what, int limit, int was, String option) {
    return new InvalidRequestException(
        field, "at most " + limit + " " + what + " (limit " + option + "), was " + was);
  }
}
