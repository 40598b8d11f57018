package dev.anvil.cli;

import dev.anvil.context.api.Limits;
import picocli.CommandLine.Option;

/**
 * The limits of {@code anvil serve} ({@code ANVIL_MAX_*} in a container, the chart's {@code
 * contextEngine.limits}); each defaults to {@link Limits#DEFAULTS}.
 */
final class LimitOptions {
  private static final Limits D = Limits.DEFAULTS;

  @Option(names = "--max-query-chars", description = "Longest query (default: 4096 characters).")
  Integer queryChars;

  @Option(names = "--max-filter-tags", description = "Most tags in a filter (default: 16).")
  Integer filterTags;

  @Option(
      names = "--max-filter-values",
      description = "Most values in a filter, all tags together (default: 1024).")
  Integer filterValues;

  @Option(names = "--max-facets", description = "Most facets per request (default: 16).")
  Integer facets;

  @Option(names = "--max-top-k", description = "Most chunks per request (default: 1000).")
  Integer topK;

  @Option(names = "--max-token-budget", description = "Largest token budget (default: 100000).")
  Integer tokenBudget;

  @Option(
      names = "--max-concurrent-searches",
      description = "Searches served at once; more are refused at once (default: 64).")
  Integer concurrentSearches;

  @Option(
      names = "--max-concurrent-ingests",
      description = "Ingest batches written at once; more are refused at once (default: 8).")
  Integer concurrentIngests;

  @Option(
      names = "--max-requests-per-second",
      description = "Each caller's sustained rate (default: 500).")
  Double requestsPerSecond;

  @Option(names = "--max-burst", description = "Each caller's burst above it (default: 1000).")
  Integer burst;

  @Option(
      names = "--max-ingest-mib-per-second",
      description =
          "How fast each caller's ingest streams are read; faster writers are slowed down, not"
              + " refused (default: 16 MiB/s).")
  Integer ingestMibPerSecond;

  @Option(
      names = "--max-ingest-buffer-mib",
      description =
          "Documents received and not yet written, all streams together; past it a stream is"
              + " refused (default: 256 MiB).")
  Integer ingestBufferMib;

  /** The limits given, the defaults for the rest; a limit below 1 is refused naming it. */
  Limits limits() {
    try {
      return build();
    } catch (IllegalArgumentException e) {
      throw new dev.anvil.rbac.input.RbacException("--max-*: " + e.getMessage());
    }
  }

  private Limits build() {
    return new Limits(
        queryChars != null ? queryChars : D.queryChars(),
        filterTags != null ? filterTags : D.filterTags(),
        filterValues != null ? filterValues : D.filterValues(),
        facets != null ? facets : D.facets(),
        topK != null ? topK : D.topK(),
        tokenBudget != null ? tokenBudget : D.tokenBudget(),
        concurrentSearches != null ? concurrentSearches : D.concurrentSearches(),
        concurrentIngests != null ? concurrentIngests : D.concurrentIngests(),
        requestsPerSecond != null ? requestsPerSecond : D.requestsPerSecond(),
        burst != null ? burst : D.burst(),
        ingestMibPerSecond != null ? ingestMibPerSecond : D.ingestMibPerSecond(),
        ingestBufferMib != null ? ingestBufferMib : D.ingestBufferMib());
  }
}
