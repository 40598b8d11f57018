package dev.anvil.trainer.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Typed access to YAML maps that collects problems instead of stopping at the first. */
final class SpecFields {
  private final String where;
  private final List<String> problems = new ArrayList<>();

  SpecFields(String where) {
    this.where = where;
  }

  void problem(String field, String message) {
    problems.add(where + ": field '" + field + "': " + message);
  }

  /** How many problems were found so far. */
  int problemCount() {
    return problems.size();
  }

  void throwIfAny() {
    if (!problems.isEmpty()) {
      throw new JobSpecException(problems);
    }
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> map(Object o, String field) {
    if (o == null) {
      if (!field.isEmpty() && !field.equals("hyperparameters")) {
        problem(field, "missing");
      }
      return Map.of();
    }
    if (!(o instanceof Map<?, ?> m)) {
      if (field.isEmpty()) {
        problems.add(where + ": expected a mapping of fields");
      } else {
        problem(field, "expected a mapping, was " + o);
      }
      return Map.of();
    }
    return (Map<String, Object>) m;
  }

  void unknown(Map<String, Object> m, Set<String> known, String prefix) {
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        problem(prefix + k, "unknown field (known: " + new TreeSet<>(known) + ")");
      }
    }
  }

  String text(Map<String, Object> m, String key, String prefix) {
    String field = (prefix == null ? "" : prefix) + key;
    Object v = m.get(key);
    if (v == null) {
      problem(field, "missing");
      return null;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      problem(field, "expected text, was " + v);
      return null;
    }
    return s;
  }

  int integer(Map<String, Object> m, String key, long min) {
    return integer(m, key, min, "hyperparameters.");
  }

  int integer(Map<String, Object> m, String key, long min, String prefix) {
    Object v = m.get(key);
    if (v instanceof Integer || v instanceof Long) {
      long x = ((Number) v).longValue();
      if (x >= min && x <= Integer.MAX_VALUE) {
        return (int) x;
      }
    }
    problem(prefix + key, "expected a whole number >= " + min + ", was " + v);
    return (int) min;
  }

  boolean flag(Map<String, Object> m, String key, String prefix) {
    if (m.get(key) instanceof Boolean b) {
      return b;
    }
    problem(prefix + key, "expected true or false, was " + m.get(key));
    return false;
  }

  double number(Map<String, Object> m, String key, double min, boolean inclusive) {
    return number(m, key, min, inclusive, "hyperparameters.");
  }

  double number(Map<String, Object> m, String key, double min, boolean inclusive, String prefix) {
    Object v = m.get(key);
    if (v instanceof Number n) {
      double x = n.doubleValue();
      if (inclusive ? x >= min : x > min) {
        return x;
      }
    }
    problem(prefix + key, "expected a number " + (inclusive ? ">= " : "> ") + min + ", was " + v);
    return min;
  }
}
