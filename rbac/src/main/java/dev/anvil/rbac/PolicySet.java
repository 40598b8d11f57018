package dev.anvil.rbac;

import dev.anvil.rbac.Explanation.Check;
import dev.anvil.rbac.Explanation.Outcome;
import dev.anvil.rbac.Explanation.PolicyTrace;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.internal.PolicyParser;
import dev.anvil.rbac.internal.PolicyParser.ParsedPolicy;
import dev.anvil.rbac.internal.cond.Evaluator;
import dev.anvil.rbac.internal.cond.PartialEvaluator;
import dev.anvil.rbac.internal.cond.PartialEvaluator.Pred;
import dev.anvil.rbac.internal.cond.Value;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * A loaded, checked, immutable set of policies with its tag schema and version.
 *
 * <p>The rules: default deny; any applicable deny overrides every allow; an allow applies when its
 * condition is true; a deny applies when its condition is true <em>or cannot be evaluated</em>
 * (fail closed). The same set, principal and document always give the same decision.
 *
 * <p>Thread-safe. Compiled filters are cached per (principal, action) for the life of the set; a
 * new version is a new set, so stale filters cannot be served.
 */
public final class PolicySet {
  private static final int FILTER_CACHE_SIZE = 10_000;

  private final TagSchema schema;
  private final List<ParsedPolicy> policies;
  private final String version;
  private final Map<CacheKey, CompiledFilter> filterCache;
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder cacheMisses = new LongAdder();

  private record CacheKey(Principal principal, Action action) {}

  private PolicySet(TagSchema schema, List<ParsedPolicy> policies, String version) {
    this.schema = schema;
    this.policies = List.copyOf(policies);
    this.version = version;
    this.filterCache =
        java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
              private static final long serialVersionUID = 1L;

              @Override
              protected boolean removeEldestEntry(Map.Entry<CacheKey, CompiledFilter> eldest) {
                return size() > FILTER_CACHE_SIZE;
              }
            });
  }

  /**
   * Parses and checks a schema and policy files as one set.
   *
   * @throws PolicyLoadException listing every problem with its file:line:column; nothing is
   *     half-loaded
   */
  public static PolicySet parse(PolicySource schema, List<PolicySource> policyFiles) {
    TagSchema tags = TagSchema.parse(schema.name(), schema.content());
    List<ParsedPolicy> parsed = PolicyParser.parse(tags, policyFiles);
    return new PolicySet(tags, parsed, PolicyParser.version(schema, policyFiles));
  }

  /** The content hash of the schema and policies, e.g. {@code sha256:1f2e3d4c5b6a}. */
  public String version() {
    return version;
  }

  /** The tag schema the policies were checked against. */
  public TagSchema schema() {
    return schema;
  }

  /** The policies, in the order they were loaded. */
  public List<Policy> policies() {
    return policies.stream().map(ParsedPolicy::policy).toList();
  }

  /** Decides one request. Never throws for a validated document. */
  public Decision decide(Principal principal, Action action, DocTags doc) {
    List<String> allows = new ArrayList<>();
    Evaluator evaluator = new Evaluator(principal, doc, (text, value) -> {});
    for (ParsedPolicy p : policies) {
      if (!p.policy().actions().contains(action)) {
        continue;
      }
      Value v = evaluator.eval(p.condition());
      if (p.policy().effect() == Effect.DENY && !Value.FALSE.equals(v)) {
        return new Decision.Deny(p.policy().id(), version);
      }
      if (p.policy().effect() == Effect.ALLOW && Value.TRUE.equals(v)) {
        allows.add(p.policy().id());
      }
    }
    return allows.isEmpty()
        ? new Decision.Deny(Decision.DEFAULT_DENY, version)
        : new Decision.Permit(allows, version);
  }

  /**
   * Decides an action that is not about a document or a model ({@code submit}, {@code admin}): its
   * policies' conditions may name only the principal.
   */
  public Decision decide(Principal principal, Action action) {
    if (action.onTags()) {
      throw new IllegalArgumentException(action + " is decided on tags; pass them");
    }
    return decide(principal, action, DocTags.none());
  }

  /** Like {@link #decide}, with the evaluation of every policy for the action. */
  public Explanation explain(Principal principal, Action action, DocTags doc) {
    List<PolicyTrace> traces = new ArrayList<>();
    for (ParsedPolicy p : policies) {
      if (!p.policy().actions().contains(action)) {
        continue;
      }
      List<Check> checks = new ArrayList<>();
      Value v =
          new Evaluator(principal, doc, (text, value) -> checks.add(new Check(text, show(value))))
              .eval(p.condition());
      Outcome outcome =
          switch (v) {
            case Value.Bool b -> b.value() ? Outcome.TRUE : Outcome.FALSE;
            default -> Outcome.ERROR;
          };
      boolean applies =
          p.policy().effect() == Effect.DENY ? outcome != Outcome.FALSE : outcome == Outcome.TRUE;
      String error = v instanceof Value.Err e ? e.reason() : "";
      traces.add(new PolicyTrace(p.policy(), outcome, applies, error, checks));
    }
    return new Explanation(decide(principal, action, doc), traces);
  }

  /**
   * The filter selecting exactly the documents on which {@code principal} is permitted {@code
   * action}: {@code (any allow true) AND NOT (any deny true or in error)}, simplified. Cached.
   */
  public CompiledFilter compile(Principal principal, Action action) {
    CacheKey key = new CacheKey(principal, action);
    CompiledFilter cached = filterCache.get(key);
    if (cached != null) {
      cacheHits.increment();
      return cached;
    }
    cacheMisses.increment();
    CompiledFilter compiled = compileUncached(principal, action);
    filterCache.put(key, compiled);
    return compiled;
  }

  /** Whether {@link #compile} would answer from the cache (for metrics). */
  public boolean isCached(Principal principal, Action action) {
    return filterCache.containsKey(new CacheKey(principal, action));
  }

  /** Compiles without touching the cache (for benchmarks and tests). */
  public CompiledFilter compileUncached(Principal principal, Action action) {
    PartialEvaluator pe = new PartialEvaluator(principal);
    List<Filter> allows = new ArrayList<>();
    List<Filter> denies = new ArrayList<>();
    for (ParsedPolicy p : policies) {
      if (!p.policy().actions().contains(action)) {
        continue;
      }
      Pred residual = pe.condition(p.condition());
      if (p.policy().effect() == Effect.ALLOW) {
        allows.add(residual.whenTrue());
      } else {
        denies.add(Filter.not(residual.whenFalse()));
      }
    }
    Filter filter = Filter.and(Filter.or(allows), Filter.not(Filter.or(denies)));
    return new CompiledFilter(filter, action, version);
  }

  /** Compiled-filter cache hits and misses since the set was loaded. */
  public CacheStats cacheStats() {
    return new CacheStats(cacheHits.sum(), cacheMisses.sum());
  }

  /** Counts of {@link #compile} calls answered from the cache and compiled afresh. */
  public record CacheStats(long hits, long misses) {}

  private static String show(Value v) {
    return switch (v) {
      case Value.Bool b -> Boolean.toString(b.value());
      case Value.Err e -> "error: " + e.reason();
      default -> v.toString();
    };
  }
}
