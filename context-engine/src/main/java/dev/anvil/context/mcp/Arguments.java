package dev.anvil.context.mcp;

import dev.anvil.context.api.InvalidRequestException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A tool call's arguments, read after they passed the tool's JSON schema. The checks here are the
 * ones a schema cannot make on its own (a whole number written {@code 10.0}), each refusal naming
 * the argument.
 */
record Arguments(Map<String, Object> values) {
  /** The server option behind each bound the schemas declare, named in a refusal. */
  private static final Map<String, String> LIMIT_OPTIONS =
      Map.of(
          "query", "max-query-chars",
          "top_k", "max-top-k",
          "token_budget", "max-token-budget",
          "filters", "max-filter-tags");

  /**
   * A schema validator's report ({@code ...errors: [/top_k: must have a maximum value of 20]}) as a
   * refusal naming each argument and, past a bound, the server's limit.
   */
  static InvalidRequestException refusal(String report) {
    int open = report.indexOf('[');
    int close = report.lastIndexOf(']');
    String body = open >= 0 && close > open ? report.substring(open + 1, close) : report;
    List<String> problems = new ArrayList<>();
    String first = "arguments";
    for (String part : body.split(", (?=/|: )")) {
      String p = part.startsWith("/") ? part.substring(1) : part;
      int colon = p.indexOf(": ");
      String field = colon > 0 ? p.substring(0, colon).replace('/', '.') : "arguments";
      String text = colon >= 0 ? p.substring(colon + 2) : p;
      String option = LIMIT_OPTIONS.get(field);
      boolean bound = text.contains("at most") || text.contains("maximum");
      problems.add(
          field + ": " + text + (option != null && bound ? " (limit " + option + ")" : ""));
      if (problems.size() == 1) {
        first = field;
      }
    }
    String message = String.join("; ", problems);
    return new InvalidRequestException(first, message.substring(first.length() + 2));
  }

  Arguments {
    values = values == null ? Map.of() : values;
  }

  String string(String name) {
    return optionalString(name)
        .orElseThrow(() -> new InvalidRequestException(name, "expected text, found none"));
  }

  Optional<String> optionalString(String name) {
    Object v = values.get(name);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof String s) {
      return Optional.of(s);
    }
    throw new InvalidRequestException(name, "expected text, was " + v);
  }

  int integer(String name, int absent) {
    Object v = values.get(name);
    if (v == null) {
      return absent;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      double d = n.doubleValue();
      if (d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
        throw new InvalidRequestException(name, "expected a whole number, was " + v);
      }
      return (int) d;
    }
    throw new InvalidRequestException(name, "expected a whole number, was " + v);
  }

  /** A tag filter: tag name to a list of accepted values. */
  Map<String, List<String>> filters(String name) {
    Object v = values.get(name);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new InvalidRequestException(name, "expected an object of tag to values, was " + v);
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      String tag = String.valueOf(e.getKey());
      if (!(e.getValue() instanceof List<?> list)) {
        throw new InvalidRequestException(
            name + "." + tag, "expected a list of values, was " + e.getValue());
      }
      List<String> accepted = new ArrayList<>();
      for (Object value : list) {
        if (!(value instanceof String s)) {
          throw new InvalidRequestException(name + "." + tag, "expected text, was " + value);
        }
        accepted.add(s);
      }
      out.put(tag, List.copyOf(accepted));
    }
    return out;
  }
}
