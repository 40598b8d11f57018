package dev.anvil.rbac;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Random policy conditions over a {@link CelWorld}, drawn from every construct of the CEL subset
 * Anvil accepts (docs/policies.md, "Which CEL Anvil accepts"), nested: {@code && || ! ?:}, {@code
 * == !=} on text, integers, booleans and lists, {@code < <= > >=} on integers and on ordered tags
 * (both ways round, against literals, attributes, variables and computed text), {@code in} on
 * literal lists (the empty one included, with elements of every type), principal lists and set
 * tags, {@code has()} on tags and attributes, {@code exists}/{@code all} over principal lists, list
 * literals and set tags (nested, shadowing variables), {@code size()} in both spellings, and {@code
 * startsWith}/{@code endsWith}/{@code contains}; string literals in every quoting and escape CEL
 * has. Every condition it draws must be accepted: it follows the rules that keep a condition
 * compilable into a filter (a tag is compared with something that does not depend on the document;
 * a literal compared with an enum or ordered tag is one of its values).
 *
 * <p>Each condition comes in two spellings. {@link Condition#anvil()} is the policy text; {@link
 * Condition#reference()} is the same expression for CEL itself, with what Anvil documents about its
 * data and its ordered tags spelled out in CEL (see {@link CelReference}): an ordering comparison
 * with an ordered tag compares ranks ({@code anvil_rank('tag', a) < anvil_rank('tag', b)}), a
 * single-valued attribute reads through {@code anvil_single(...)}, and {@code has()} of a set tag
 * or a multi-valued attribute is {@code size(...) != 0}. Everything else is left to CEL.
 */
public final class RandomConditions {
  /** A condition as Anvil reads it and as the CEL reference evaluates it. */
  public record Condition(String anvil, String reference) {}

  /**
   * Both spellings of a sub-expression; {@code untyped} marks an empty list whose element type CEL
   * cannot know ({@code []}), whose exists()/all() variable is then no text.
   */
  private record Pair(String a, String r, boolean untyped) {
    Pair(String a, String r) {
      this(a, r, false);
    }

    static Pair same(String s) {
      return new Pair(s, s);
    }
  }

  private static final List<String> VARS = List.of("x", "y", "v");
  private static final List<String> ORDERINGS = List.of("<", "<=", ">", ">=");
  private static final List<String> INTS =
      List.of("0", "1", "2", "3", "-1", "0x10", "9223372036854775807", "-9223372036854775808");

  private final CelWorld w;
  private final Random r;
  private final int maxDepth;
  private final Deque<String> vars = new ArrayDeque<>();

  /** Conditions over {@code world}, nested up to {@code maxDepth}, drawn from {@code random}. */
  public RandomConditions(CelWorld world, Random random, int maxDepth) {
    this.w = world;
    this.r = random;
    this.maxDepth = maxDepth;
  }

  /** A random condition. */
  public Condition condition() {
    vars.clear();
    Pair p = bool(maxDepth, true);
    return new Condition(p.a(), p.r());
  }

  // ---- booleans; docOk: whether the document may be read here ----

  private Pair bool(int depth, boolean docOk) {
    if (depth <= 0 || r.nextInt(5) == 0) {
      return docOk && r.nextInt(3) != 0 ? docLeaf(0) : principalLeaf(0);
    }
    int d = depth - 1;
    return switch (r.nextInt(8)) {
      case 0 -> unary("!", bool(d, docOk));
      case 1, 2 -> {
        String op = r.nextBoolean() ? " && " : " || ";
        List<Pair> operands = new ArrayList<>();
        for (int i = 0, n = 2 + r.nextInt(2); i < n; i++) {
          operands.add(bool(d, docOk));
        }
        yield new Pair(
            "(" + String.join(op, operands.stream().map(Pair::a).toList()) + ")",
            "(" + String.join(op, operands.stream().map(Pair::r).toList()) + ")");
      }
      case 3 -> ternary(bool(d, docOk), bool(d, docOk), bool(d, docOk));
      case 4 -> quantifier(list(d, null), () -> bool(d, docOk));
      default -> docOk ? docLeaf(d) : principalLeaf(d);
    };
  }

  /** A test on the principal alone. */
  private Pair principalLeaf(int depth) {
    int d = Math.max(0, depth - 1);
    return switch (r.nextInt(12)) {
      case 0 -> Pair.same(r.nextBoolean() ? "true" : "false");
      case 1 -> {
        String attr = w.pick(List.of("clearance", "team", CelWorld.MULTI_ATTRIBUTE));
        yield attr.equals(CelWorld.MULTI_ATTRIBUTE)
            ? new Pair(
                "has(principal.attributes." + attr + ")", nonEmpty("principal.attributes." + attr))
            : Pair.same("has(principal.attributes." + attr + ")");
      }
      case 2 -> binary(text(d, null), eq(), text(d, null));
      case 3 -> binary(integer(d), w.pick(List.of("==", "!=", "<", "<=", ">", ">=")), integer(d));
      case 4 -> binary(list(d, null), eq(), list(d, null));
      case 5, 6 -> binary(text(d, null), "in", list(d, null));
      case 7 -> {
        // After type-checking, only the empty list can meet an element that is not text.
        Pair element =
            switch (r.nextInt(3)) {
              case 0 -> integer(d);
              case 1 -> principalLeaf(d);
              default -> list(d, null);
            };
        yield binary(element, "in", Pair.same("[]"));
      }
      case 8 -> {
        Pair target = text(d, null);
        Pair arg = text(d, null);
        String f = w.pick(List.of("startsWith", "endsWith", "contains"));
        yield new Pair(
            target.a() + "." + f + "(" + arg.a() + ")", target.r() + "." + f + "(" + arg.r() + ")");
      }
      case 9 -> binary(principalLeaf(d), eq(), principalLeaf(d));
      case 10 -> depth > 0 ? bool(depth, false) : principalLeaf(0);
      default -> quantifier(list(d, null), () -> principalLeaf(d));
    };
  }

  /** A test on the document (and maybe the principal). */
  private Pair docLeaf(int depth) {
    int d = Math.max(0, depth - 1);
    return switch (r.nextInt(8)) {
      case 0 -> {
        String tag = w.pick(allTags());
        yield CelWorld.SETS.contains(tag)
            ? new Pair("has(doc." + tag + ")", nonEmpty("doc." + tag))
            : Pair.same("has(doc." + tag + ")");
      }
      case 1, 2, 3 -> scalarComparison(d);
      case 4 -> {
        String set = w.pick(CelWorld.SETS);
        yield binary(text(d, set), "in", Pair.same("doc." + set));
      }
      case 5 -> {
        String tag = w.pick(scalarTags());
        yield binary(Pair.same("doc." + tag), "in", list(d, tag));
      }
      case 6 -> {
        // Over a set tag the test may use the element and the principal, not the document.
        String set = w.pick(CelWorld.SETS);
        yield quantifier(Pair.same("doc." + set), () -> bool(d, false));
      }
      default -> quantifier(list(d, null), () -> bool(d, true));
    };
  }

  private Pair scalarComparison(int depth) {
    String tag = w.pick(scalarTags());
    boolean ordered = CelWorld.ORDERED.contains(tag);
    String op = ordered ? w.pick(List.of("==", "!=", "<", "<=", ">", ">=")) : eq();
    Pair t = Pair.same("doc." + tag);
    Pair other = text(depth, tag);
    boolean tagLeft = r.nextBoolean();
    Pair left = tagLeft ? t : other;
    Pair right = tagLeft ? other : t;
    String a = "(" + left.a() + " " + op + " " + right.a() + ")";
    if (!ordered || !ORDERINGS.contains(op)) {
      return new Pair(a, "(" + left.r() + " " + op + " " + right.r() + ")");
    }
    return new Pair(a, "(" + rank(tag, left.r()) + " " + op + " " + rank(tag, right.r()) + ")");
  }

  /** How the reference spells {@code has()} of a set tag or multi-valued attribute. */
  private static String nonEmpty(String list) {
    return "(size(" + list + ") != 0)";
  }

  private static String rank(String tag, String operand) {
    return CelReference.RANK + "('" + tag + "', " + operand + ")";
  }

  // ---- values that do not depend on the document ----

  /**
   * Text; a literal is one of {@code tag}'s values when the tag has values (the translator checks
   * literals compared with enum and ordered tags, and literals tested against sets).
   */
  private Pair text(int depth, String tag) {
    if (!vars.isEmpty() && r.nextInt(3) == 0) {
      return Pair.same(w.pick(List.copyOf(vars))); // the element of an enclosing exists()/all()
    }
    return switch (r.nextInt(depth > 0 ? 7 : 5)) {
      case 0, 1, 2 -> {
        List<String> pool = tag != null && w.values(tag) != null ? w.values(tag) : anyText();
        yield Pair.same(literal(w.pick(pool)));
      }
      case 3 -> Pair.same("principal.subject");
      case 4 -> {
        String attr = "principal.attributes." + w.pick(CelWorld.SINGLE_ATTRIBUTES);
        yield new Pair(attr, CelReference.SINGLE + "(" + attr + ")");
      }
      // A ?: is no literal: its branches may hold any text, levels or not.
      default -> ternary(bool(depth - 1, false), text(depth - 1, null), text(depth - 1, null));
    };
  }

  private Pair integer(int depth) {
    return switch (r.nextInt(depth > 0 ? 6 : 5)) {
      case 0, 1 -> Pair.same(w.pick(INTS));
      case 2 -> call("size", text(depth, null));
      case 3 -> call("size", list(depth, null));
      case 4 -> {
        Pair p = r.nextBoolean() ? text(depth, null) : list(depth, null);
        yield new Pair(p.a() + ".size()", p.r() + ".size()");
      }
      default -> ternary(bool(depth - 1, false), integer(depth - 1), integer(depth - 1));
    };
  }

  /** A list of text; literal items are values of {@code tag} when it has values. */
  private Pair list(int depth, String tag) {
    return switch (r.nextInt(depth > 0 ? 6 : 5)) {
      case 0, 1 -> {
        List<Pair> items = new ArrayList<>();
        for (int i = 0, n = r.nextInt(4); i < n; i++) {
          items.add(text(Math.max(0, depth - 1), tag));
        }
        yield new Pair(
            items.stream().map(Pair::a).toList().toString(),
            items.stream().map(Pair::r).toList().toString(),
            items.isEmpty());
      }
      case 2 -> Pair.same("principal.roles");
      case 3 -> Pair.same("principal.groups");
      case 4 -> Pair.same("principal.attributes." + CelWorld.MULTI_ATTRIBUTE);
      default -> ternary(bool(depth - 1, false), list(depth - 1, tag), list(depth - 1, tag));
    };
  }

  // ---- shapes ----

  private Pair quantifier(Pair range, Supplier<Pair> predicate) {
    String v = w.pick(VARS);
    String macro = r.nextBoolean() ? "exists" : "all";
    Deque<String> outer = new ArrayDeque<>(vars);
    if (range.untyped()) {
      vars.remove(v); // shadowed by a variable of unknown type: not text
    } else {
      vars.push(v);
    }
    try {
      Pair p = predicate.get();
      return new Pair(
          range.a() + "." + macro + "(" + v + ", " + p.a() + ")",
          range.r() + "." + macro + "(" + v + ", " + p.r() + ")");
    } finally {
      vars.clear();
      vars.addAll(outer);
    }
  }

  private static Pair ternary(Pair c, Pair t, Pair f) {
    return new Pair(
        "(" + c.a() + " ? " + t.a() + " : " + f.a() + ")",
        "(" + c.r() + " ? " + t.r() + " : " + f.r() + ")",
        t.untyped() && f.untyped());
  }

  private static Pair binary(Pair l, String op, Pair rr) {
    return new Pair(
        "(" + l.a() + " " + op + " " + rr.a() + ")", "(" + l.r() + " " + op + " " + rr.r() + ")");
  }

  private static Pair unary(String op, Pair p) {
    return new Pair(op + p.a(), op + p.r());
  }

  private static Pair call(String f, Pair arg) {
    return new Pair(f + "(" + arg.a() + ")", f + "(" + arg.r() + ")");
  }

  private String eq() {
    return r.nextBoolean() ? "==" : "!=";
  }

  private List<String> scalarTags() {
    List<String> out = new ArrayList<>(CelWorld.ORDERED);
    out.addAll(CelWorld.ENUMS);
    out.add(CelWorld.STRING_TAG);
    out.add(CelWorld.PRINCIPAL_TAG);
    return out;
  }

  private List<String> allTags() {
    List<String> out = scalarTags();
    out.addAll(CelWorld.SETS);
    return out;
  }

  private List<String> anyText() {
    List<String> out = new ArrayList<>(CelWorld.TEXTS);
    out.addAll(CelWorld.SUBJECTS);
    out.addAll(w.values(w.pick(CelWorld.ORDERED)));
    out.addAll(w.values(w.pick(CelWorld.SETS)));
    out.add("");
    return out;
  }

  /** A CEL string literal for {@code s}, in a random quoting with random escapes. */
  String literal(String s) {
    char q = r.nextBoolean() ? '\'' : '"';
    if (r.nextInt(6) == 0 && s.indexOf(q) < 0 && s.indexOf('\n') < 0 && !s.endsWith("\\")) {
      return "r" + q + s + q; // raw: backslashes are themselves
    }
    StringBuilder sb = new StringBuilder().append(q);
    s.codePoints()
        .forEach(
            cp -> {
              if (cp == q || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
              } else if (cp == '\n') {
                sb.append("\\n");
              } else if (cp == '\t') {
                sb.append(r.nextBoolean() ? "\\t" : "\\u0009");
              } else if (cp < 0x80 && Character.isLetter(cp) && r.nextInt(8) == 0) {
                sb.append(
                    r.nextBoolean() ? String.format("\\x%02x", cp) : String.format("\\%03o", cp));
              } else if (cp < 0x20 || cp >= 0x80 && r.nextInt(3) == 0) {
                sb.append(
                    cp > 0xffff || r.nextBoolean()
                        ? String.format("\\U%08x", cp)
                        : String.format("\\u%04x", cp));
              } else {
                sb.appendCodePoint(cp);
              }
            });
    return sb.append(q).toString();
  }
}
