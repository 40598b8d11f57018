package dev.anvil.rbac.internal.cond;

import dev.anvil.rbac.schema.PrincipalAttribute;
import dev.anvil.rbac.schema.TagDefinition;
import java.util.List;

/**
 * A policy condition after translation from CEL and checking against the tag schema. Only shapes
 * that both evaluators support exist here; the translator refuses everything else with a located
 * error, so evaluation never meets an unsupported construct.
 *
 * <p>Leaf predicates keep their CEL source text for {@code anvil policy explain}.
 */
public sealed interface Expr {

  /** A literal. */
  record Lit(Value value) implements Expr {}

  /** A list literal with computed items, e.g. {@code [principal.subject, 'x']}. */
  record ListOf(List<Expr> items) implements Expr {
    public ListOf {
      items = List.copyOf(items);
    }
  }

  /** The principal's fields. */
  enum Field {
    SUBJECT,
    ROLES,
    GROUPS
  }

  /** {@code principal.subject} and friends. */
  record PrincipalField(Field field) implements Expr {}

  /**
   * {@code principal.attributes.NAME}: text for a single-valued attribute (an error when it has no
   * value or several), a list for a multi-valued one.
   */
  record Attribute(PrincipalAttribute attribute) implements Expr {}

  /** {@code has(principal.attributes.NAME)}: whether it has a value. */
  record HasAttribute(String name, String text) implements Expr {}

  /** {@code doc.tag}. */
  record DocTag(TagDefinition tag) implements Expr {}

  /** {@code has(doc.tag)}. */
  record HasTag(TagDefinition tag, String text) implements Expr {}

  /** A comprehension variable. */
  record Var(String name) implements Expr {}

  /** {@code !e}. */
  record Not(Expr operand) implements Expr {}

  /** {@code a && b && ...}. */
  record And(List<Expr> operands) implements Expr {
    public And {
      operands = List.copyOf(operands);
    }
  }

  /** {@code a || b || ...}. */
  record Or(List<Expr> operands) implements Expr {
    public Or {
      operands = List.copyOf(operands);
    }
  }

  /** {@code c ? a : b}. */
  record Cond(Expr condition, Expr ifTrue, Expr ifFalse) implements Expr {}

  /** Comparison operators. */
  enum Op {
    EQ("=="),
    NE("!="),
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">=");

    final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    /** The operator with its operands swapped: {@code a < b} is {@code b > a}. */
    Op flipped() {
      return switch (this) {
        case EQ, NE -> this;
        case LT -> GT;
        case LE -> GE;
        case GT -> LT;
        case GE -> LE;
      };
    }

    boolean test(int cmp) {
      return switch (this) {
        case EQ -> cmp == 0;
        case NE -> cmp != 0;
        case LT -> cmp < 0;
        case LE -> cmp <= 0;
        case GT -> cmp > 0;
        case GE -> cmp >= 0;
      };
    }
  }

  /**
   * A comparison. When {@code ordered} is set, one operand is that ordered tag and {@code < <= >
   * >=} compare text operands by their rank among its levels (a text that is not one of its levels
   * is an error); {@code ==} and {@code !=} stay CEL's text equality.
   */
  record Compare(Op op, Expr left, Expr right, TagDefinition ordered, String text)
      implements Expr {}

  /** {@code element in collection} (a list, or a map's keys). */
  record In(Expr element, Expr collection, String text) implements Expr {}

  /** {@code range.exists(var, predicate)} or {@code range.all(var, predicate)}. */
  record Quantifier(boolean exists, String var, Expr range, Expr predicate, String text)
      implements Expr {}

  /** {@code size(e)} of a list, map or text. */
  record Size(Expr operand) implements Expr {}

  /** {@code s.startsWith(x)}, {@code s.endsWith(x)}, {@code s.contains(x)} on text. */
  record TextTest(String function, Expr target, Expr argument, String text) implements Expr {}
}
