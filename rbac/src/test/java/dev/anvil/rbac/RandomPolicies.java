package dev.anvil.rbac;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Generates random tag schemas, policy sets (as YAML with CEL conditions), principals and raw
 * document tags from one seed, covering every shape the condition compiler accepts: ordered
 * comparisons both ways and against principal attributes, enum and string equality, set membership,
 * exists()/all() over principal lists (multi-valued attributes included) and over document sets,
 * has(), ?:, negation, and the error cases (missing tags and attributes, attributes that are not
 * levels, several values for a single-valued attribute).
 */
public final class RandomPolicies {
  private final Random r;
  private final List<String> ordered = new ArrayList<>();
  private final List<String> enums = new ArrayList<>();
  private final List<String> sets = new ArrayList<>();
  private final Map<String, List<String>> values = new LinkedHashMap<>();
  private final Map<String, Boolean> required = new LinkedHashMap<>();
  private static final List<String> ROLES = List.of("r0", "r1", "r2", "r3");
  private static final List<String> SUBJECTS = List.of("u0", "u1", "u2", "u3");
  private static final List<String> TEXTS = List.of("s0", "s1", "s2");
  private static final List<String> ACTIONS = List.of("read", "ingest");

  /** A generator; everything it produces follows from the seed. */
  public RandomPolicies(long seed) {
    this.r = new Random(seed);
    int nOrdered = 1 + r.nextInt(2);
    for (int i = 0; i < nOrdered; i++) {
      String name = "lvl" + i;
      ordered.add(name);
      values.put(name, pool("l", 2 + r.nextInt(4)));
    }
    int nEnum = 1 + r.nextInt(2);
    for (int i = 0; i < nEnum; i++) {
      String name = "kind" + i;
      enums.add(name);
      values.put(name, pool("v", 2 + r.nextInt(4)));
    }
    int nSet = 1 + r.nextInt(2);
    for (int i = 0; i < nSet; i++) {
      String name = "dept" + i;
      sets.add(name);
      values.put(name, pool("v", 2 + r.nextInt(5)));
    }
    for (String t : values.keySet()) {
      required.put(t, r.nextInt(3) == 0);
    }
    required.put("owner", r.nextBoolean());
    required.put("src", false);
  }

  private static List<String> pool(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  public String schemaYaml() {
    StringBuilder sb = new StringBuilder("tags:\n");
    for (String t : ordered) {
      sb.append("  ")
          .append(t)
          .append(": {type: ordered, values: ")
          .append(values.get(t))
          .append(", required: ")
          .append(required.get(t))
          .append("}\n");
    }
    for (String t : enums) {
      sb.append("  ")
          .append(t)
          .append(": {type: enum, values: ")
          .append(values.get(t))
          .append(", required: ")
          .append(required.get(t))
          .append("}\n");
    }
    for (String t : sets) {
      sb.append("  ")
          .append(t)
          .append(": {type: set, values: ")
          .append(values.get(t))
          .append(", required: ")
          .append(required.get(t))
          .append("}\n");
    }
    sb.append("  owner: {type: principal, required: ").append(required.get("owner")).append("}\n");
    sb.append("  src: {type: string}\n");
    sb.append("principal_attributes:\n");
    sb.append("  clearance: {}\n  team: {}\n  teams: {multi_valued: true}\n");
    return sb.toString();
  }

  public String policiesYaml() {
    return policiesYaml(ACTIONS);
  }

  /** Random policies over these actions (each policy names some of them). */
  public String policiesYaml(List<String> actions) {
    StringBuilder sb = new StringBuilder();
    int n = 1 + r.nextInt(6);
    for (int i = 0; i < n; i++) {
      boolean deny = r.nextInt(3) == 0;
      List<String> acts =
          r.nextBoolean() ? actions : new ArrayList<>(new TreeSet<>(subsetOrOne(actions)));
      sb.append("- id: p").append(i).append('\n');
      sb.append("  effect: ").append(deny ? "deny" : "allow").append('\n');
      sb.append("  actions: ").append(acts).append('\n');
      sb.append("  when: '").append(bool(3).replace("'", "''")).append("'\n");
    }
    return sb.toString();
  }

  private List<String> subsetOrOne(List<String> from) {
    Set<String> s = subset(from);
    return s.isEmpty() ? List.of(pick(from)) : List.copyOf(s);
  }

  public Principal principal() {
    Map<String, List<String>> attrs = new LinkedHashMap<>();
    String lvlTag = ordered.getFirst();
    switch (r.nextInt(5)) {
      case 0 -> {} // missing: comparisons with it are errors
      case 1 -> attrs.put("clearance", List.of("not-a-level"));
      case 2 -> attrs.put("clearance", List.copyOf(subset(values.get(lvlTag)))); // maybe several
      default -> attrs.put("clearance", List.of(pick(values.get(lvlTag))));
    }
    if (r.nextBoolean()) {
      attrs.put("team", List.of(pick(values.get(sets.getFirst()))));
    }
    if (r.nextBoolean()) {
      attrs.put("teams", List.copyOf(subset(values.get(sets.getFirst()))));
    }
    return new Principal(pick(SUBJECTS), subset(ROLES), subset(values.get(sets.getFirst())), attrs);
  }

  public Map<String, Object> doc() {
    Map<String, Object> d = new LinkedHashMap<>();
    for (String t : ordered) {
      maybe(d, t, () -> pick(values.get(t)));
    }
    for (String t : enums) {
      maybe(d, t, () -> pick(values.get(t)));
    }
    for (String t : sets) {
      if (required.get(t) || r.nextInt(4) != 0) {
        Set<String> s = subset(values.get(t));
        if (s.isEmpty() && required.get(t)) {
          s = Set.of(pick(values.get(t)));
        }
        d.put(t, List.copyOf(s));
      }
    }
    maybe(d, "owner", () -> pick(SUBJECTS));
    maybe(d, "src", () -> pick(TEXTS));
    return d;
  }

  private void maybe(Map<String, Object> d, String tag, java.util.function.Supplier<String> v) {
    if (required.get(tag) || r.nextInt(4) != 0) {
      d.put(tag, v.get());
    }
  }

  // ---- conditions ----

  private String bool(int depth) {
    if (depth == 0 || r.nextInt(3) == 0) {
      return leaf();
    }
    return switch (r.nextInt(5)) {
      case 0 -> "!(" + bool(depth - 1) + ")";
      case 1 -> "(" + bool(depth - 1) + " && " + bool(depth - 1) + ")";
      case 2 -> "(" + bool(depth - 1) + " || " + bool(depth - 1) + ")";
      case 3 -> "(" + bool(depth - 1) + " ? " + bool(depth - 1) + " : " + bool(depth - 1) + ")";
      default ->
          "principal.roles.exists(x, x == " + q(pick(ROLES)) + " && " + bool(depth - 1) + ")";
    };
  }

  private String leaf() {
    String o = pick(ordered);
    String e = pick(enums);
    String s = pick(sets);
    String op = pick(List.of("==", "!=", "<", "<=", ">", ">="));
    return switch (r.nextInt(27)) {
      case 0 -> "doc." + o + " " + op + " " + q(pick(values.get(o)));
      case 1 -> q(pick(values.get(o))) + " " + op + " doc." + o;
      case 2 -> "doc." + o + " " + op + " principal.attributes.clearance";
      case 3 -> "doc." + e + (r.nextBoolean() ? " == " : " != ") + q(pick(values.get(e)));
      case 4 -> "doc." + e + " in " + quoted(subset(values.get(e)));
      case 5 -> "doc." + e + " in principal.groups";
      case 6 -> q(pick(values.get(s))) + " in doc." + s;
      case 7 -> "principal.attributes.team in doc." + s;
      case 8 -> "principal.groups.exists(g, g in doc." + s + ")";
      case 9 -> "doc." + s + ".exists(v, v in principal.groups)";
      case 10 -> "doc." + s + ".all(v, v in " + quoted(subset(values.get(s))) + ")";
      case 11 -> "doc." + s + ".exists(v, v == principal.attributes.team)";
      case 12 -> "doc." + s + ".all(v, v != principal.attributes.team)";
      case 13 -> "has(doc." + pick(List.of(o, e, s, "owner", "src")) + ")";
      case 14 -> "doc.owner " + (r.nextBoolean() ? "==" : "!=") + " principal.subject";
      case 15 -> "doc.src " + (r.nextBoolean() ? "==" : "!=") + " " + q(pick(TEXTS));
      case 16 -> q(pick(ROLES)) + " in principal.roles";
      case 17 -> "has(principal.attributes.clearance)";
      case 18 -> "size(principal.groups) > " + r.nextInt(3);
      case 19 -> r.nextBoolean() ? "true" : "false";
      case 20 -> "principal.attributes.team == " + q(pick(values.get(sets.getFirst())));
      case 21 -> "doc." + e + " in principal.attributes.teams";
      case 22 -> "principal.attributes.teams.exists(t, t in doc." + s + ")";
      case 23 -> "doc." + s + ".all(v, v in principal.attributes.teams)";
      case 24 -> "size(principal.attributes.teams) > " + r.nextInt(2);
      case 25 -> "has(principal.attributes.teams)";
      default -> "doc.owner in " + quoted(subset(SUBJECTS));
    };
  }

  private <T> T pick(List<T> list) {
    return list.get(r.nextInt(list.size()));
  }

  private Set<String> subset(List<String> from) {
    Set<String> out = new TreeSet<>();
    for (String v : from) {
      if (r.nextBoolean()) {
        out.add(v);
      }
    }
    return out;
  }

  private static String q(String s) {
    return "\"" + s + "\"";
  }

  private static String quoted(Set<String> vs) {
    return vs.stream().map(RandomPolicies::q).toList().toString();
  }
}
