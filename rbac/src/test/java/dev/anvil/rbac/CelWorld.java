package dev.anvil.rbac;

import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagSchema;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A random tag schema with principals and documents over it, for the differential test against CEL
 * (with {@link RandomConditions}). Everything follows from the seed.
 *
 * <p>Values are chosen to catch what a hand-written evaluator gets wrong: level names whose
 * alphabetical order is not their rank, text with quotes, backslashes, combining marks, characters
 * outside the Basic Multilingual Plane and right-to-left script, values that are prefixes of
 * others; principals with missing, non-level and several values for single-valued attributes;
 * documents missing any optional tag and with empty sets.
 */
public final class CelWorld {
  /** Text that is interesting to compare, measure and quote. */
  static final List<String> TEXTS =
      List.of(
          "a", "ab", "b", "é", "e\u0301", "😀", "a😀b", "日本", "日", "ß", "Ω", "x y", "a'b", "a\"b",
          "a\\b", "שלום", "A", "ab\tc", "\u00a0x");

  static final List<String> ORDERED = List.of("lvl0", "lvl1");
  static final List<String> ENUMS = List.of("kind0", "kind1");
  static final List<String> SETS = List.of("dept0", "dept1");
  static final String STRING_TAG = "src";
  static final String PRINCIPAL_TAG = "owner";
  static final List<String> SINGLE_ATTRIBUTES = List.of("clearance", "team");
  static final String MULTI_ATTRIBUTE = "teams";
  static final List<String> SUBJECTS = List.of("alice", "bob", "b", "😀", "日本");
  static final List<String> ROLES = List.of("admin", "reader", "a", "é");

  private final Random r;
  private final Map<String, List<String>> values = new LinkedHashMap<>();
  private final String schemaYaml;
  private final TagSchema schema;

  /** A world; everything it produces follows from the seed. */
  public CelWorld(long seed) {
    this.r = new Random(seed);
    for (String t : ORDERED) {
      values.put(t, distinct(2 + r.nextInt(4)));
    }
    for (String t : ENUMS) {
      values.put(t, distinct(1 + r.nextInt(4)));
    }
    for (String t : SETS) {
      values.put(t, distinct(1 + r.nextInt(5)));
    }
    this.schemaYaml = renderSchema();
    this.schema = TagSchema.parse("schema.yaml", schemaYaml);
  }

  /** Distinct values, in a random order (so that an ordered tag's ranks are not alphabetical). */
  private List<String> distinct(int n) {
    List<String> pool = new ArrayList<>(TEXTS);
    pool.removeIf(String::isBlank);
    Collections.shuffle(pool, r);
    return List.copyOf(pool.subList(0, n));
  }

  private String renderSchema() {
    StringBuilder sb = new StringBuilder("tags:\n");
    values.forEach(
        (tag, vs) -> {
          String type = ORDERED.contains(tag) ? "ordered" : ENUMS.contains(tag) ? "enum" : "set";
          sb.append("  ")
              .append(tag)
              .append(":\n    type: ")
              .append(type)
              .append("\n    values: [");
          sb.append(String.join(", ", vs.stream().map(CelWorld::yamlString).toList()));
          sb.append("]\n");
        });
    sb.append("  ").append(STRING_TAG).append(": {type: string}\n");
    sb.append("  ").append(PRINCIPAL_TAG).append(": {type: principal}\n");
    sb.append("principal_attributes:\n");
    for (String a : SINGLE_ATTRIBUTES) {
      sb.append("  ").append(a).append(": {}\n");
    }
    sb.append("  ").append(MULTI_ATTRIBUTE).append(": {multi_valued: true}\n");
    return sb.toString();
  }

  /** The schema file's text. */
  public String schemaYaml() {
    return schemaYaml;
  }

  /** The parsed schema. */
  public TagSchema schema() {
    return schema;
  }

  /** The declared values (levels lowest first) of an ordered, enum or set tag. */
  public List<String> values(String tag) {
    return values.get(tag);
  }

  /** A policy set of the schema and these policies (YAML). */
  public PolicySet policySet(String policiesYaml) {
    return PolicySet.parse(
        new PolicySource("schema.yaml", schemaYaml),
        List.of(new PolicySource("policies.yaml", policiesYaml)));
  }

  /** A random principal. */
  public Principal principal() {
    Map<String, List<String>> attrs = new LinkedHashMap<>();
    List<String> levels = values.get(pick(ORDERED));
    attrs.put("clearance", attributeValues(levels));
    attrs.put("team", attributeValues(values.get(pick(SETS))));
    attrs.put(MULTI_ATTRIBUTE, List.copyOf(subset(mixed(values.get(pick(SETS))))));
    return new Principal(
        pick(r.nextBoolean() ? SUBJECTS : TEXTS.stream().filter(t -> !t.isBlank()).toList()),
        subset(mixed(ROLES)),
        subset(mixed(values.get(pick(SETS)))),
        attrs);
  }

  /** None, one (usually from {@code likely}), or several values of a single-valued attribute. */
  private List<String> attributeValues(List<String> likely) {
    return switch (r.nextInt(6)) {
      case 0 -> List.of();
      case 1 -> List.of(pick(TEXTS));
      case 2 -> List.copyOf(subset(mixed(likely)));
      default -> List.of(pick(likely));
    };
  }

  /** Raw tags of a random document, valid for the schema. */
  public DocTags doc() {
    Map<String, Object> d = new LinkedHashMap<>();
    for (String t : ORDERED) {
      maybe(d, t, pick(values.get(t)));
    }
    for (String t : ENUMS) {
      maybe(d, t, pick(values.get(t)));
    }
    for (String t : SETS) {
      maybe(d, t, List.copyOf(subset(values.get(t)))); // may be empty: stored as absent
    }
    maybe(d, STRING_TAG, pick(TEXTS));
    maybe(d, PRINCIPAL_TAG, pick(SUBJECTS));
    return schema.validate(d);
  }

  private void maybe(Map<String, Object> d, String tag, Object value) {
    if (r.nextInt(5) != 0) {
      d.put(tag, value);
    }
  }

  /** Mostly {@code likely}, with some other text mixed in. */
  private List<String> mixed(List<String> likely) {
    List<String> out = new ArrayList<>(likely);
    out.add(pick(TEXTS));
    return out;
  }

  <T> T pick(List<T> list) {
    return list.get(r.nextInt(list.size()));
  }

  private Set<String> subset(List<String> from) {
    Set<String> out = new TreeSet<>();
    for (String v : from) {
      if (r.nextInt(3) == 0) {
        out.add(v);
      }
    }
    return out;
  }

  /**
   * A YAML double-quoted scalar holding {@code s} exactly: printable text as it is (so that policy
   * files hold real unicode), the rest escaped.
   */
  static String yamlString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            cp -> {
              switch (cp) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                  if (yamlPrintable(cp)) {
                    sb.appendCodePoint(cp);
                  } else if (cp > 0xffff) {
                    sb.append(String.format("\\U%08x", cp));
                  } else {
                    sb.append(String.format("\\u%04x", cp));
                  }
                }
              }
            });
    return sb.append('"').toString();
  }

  /** YAML 1.2's printable characters, less the byte-order mark and the no-break space. */
  private static boolean yamlPrintable(int cp) {
    return cp >= 0x20 && cp <= 0x7e
        || cp > 0xa0 && cp <= 0xd7ff
        || cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff
        || cp >= 0x10000 && cp <= 0x10ffff;
  }
}
