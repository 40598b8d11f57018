package dev.anvil.rbac.internal.cond;

import dev.anvil.rbac.Principal;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.internal.cond.Expr.*;
import dev.anvil.rbac.internal.cond.Value.*;
import dev.anvil.rbac.schema.TagDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Evaluates a condition with the principal known and the document unknown, leaving a residual over
 * document tags.
 *
 * <p>A boolean residual is a pair of filters: the documents for which the condition is true and
 * those for which it is false. Documents in neither get CEL's error value (e.g. the condition read
 * a scalar tag the document lacks). Keeping both sides is what makes negation and CEL's
 * error-absorbing {@code &&}/{@code ||} exact, so that for every document the residual agrees with
 * {@link Evaluator}.
 */
public final class PartialEvaluator {

  /** The result of partially evaluating an expression. */
  public sealed interface Partial {}

  /** Fully known, whatever the document. */
  public record Known(Value value) implements Partial {}

  /** The value of a document tag (only ever consumed by a comparison, 'in' or a quantifier). */
  public record TagRef(TagDefinition tag) implements Partial {}

  /**
   * A boolean that depends on the document: true on {@code whenTrue}, false on {@code whenFalse}.
   */
  public record Pred(Filter whenTrue, Filter whenFalse) implements Partial {}

  private final Principal principal;

  public PartialEvaluator(Principal principal) {
    this.principal = principal;
  }

  /** Residual of a boolean condition, as (true, false) filters. */
  public Pred condition(Expr e) {
    return asPred(eval(e, Map.of()));
  }

  Partial eval(Expr e, Map<String, Value> vars) {
    return switch (e) {
      case Lit l -> new Known(l.value());
      case ListOf l -> {
        List<String> items = new ArrayList<>();
        for (Expr item : l.items()) {
          Value v = known(item, vars);
          if (v instanceof Err) {
            yield new Known(v);
          }
          items.add(((Str) v).value());
        }
        yield new Known(new StrList(items));
      }
      case PrincipalField p -> new Known(Evaluator.principalField(principal, p.field()));
      case Attribute a -> new Known(Evaluator.attribute(principal, a.attribute()));
      case HasAttribute h -> new Known(Evaluator.hasAttribute(principal, h.name()));
      case DocTag t -> new TagRef(t.tag());
      case HasTag h ->
          pred(Filter.exists(h.tag().name()), Filter.not(Filter.exists(h.tag().name())));
      case Var v -> new Known(vars.get(v.name()));
      case Not n ->
          switch (eval(n.operand(), vars)) {
            case Known k -> new Known(Evaluator.not(k.value()));
            case Pred p -> new Pred(p.whenFalse(), p.whenTrue());
            case TagRef t -> throw unexpected(e);
          };
      case And a -> fold(a.operands().stream().map(o -> eval(o, vars)).toList(), true);
      case Or o -> fold(o.operands().stream().map(x -> eval(x, vars)).toList(), false);
      case Cond c ->
          switch (eval(c.condition(), vars)) {
            case Known k when k.value() instanceof Bool b ->
                eval(b.value() ? c.ifTrue() : c.ifFalse(), vars);
            case Known k -> k;
            case Pred p -> {
              Pred t = asPred(eval(c.ifTrue(), vars));
              Pred f = asPred(eval(c.ifFalse(), vars));
              yield pred(
                  Filter.or(
                      Filter.and(p.whenTrue(), t.whenTrue()),
                      Filter.and(p.whenFalse(), f.whenTrue())),
                  Filter.or(
                      Filter.and(p.whenTrue(), t.whenFalse()),
                      Filter.and(p.whenFalse(), f.whenFalse())));
            }
            case TagRef t -> throw unexpected(e);
          };
      case Compare c -> compare(c, eval(c.left(), vars), eval(c.right(), vars));
      case In i -> in(eval(i.element(), vars), eval(i.collection(), vars), e);
      case Quantifier q -> quantifier(q, eval(q.range(), vars), vars);
      case Size s -> new Known(Evaluator.size(known(s.operand(), vars)));
      case TextTest t ->
          new Known(
              Evaluator.textTest(t.function(), known(t.target(), vars), known(t.argument(), vars)));
    };
  }

  private Partial compare(Compare c, Partial left, Partial right) {
    if (left instanceof Known l && right instanceof Known r) {
      return new Known(Evaluator.compare(c.op(), l.value(), r.value(), c.ordered()));
    }
    // Put the tag on the left: 'x' < doc.t is doc.t > 'x'.
    Op op = c.op();
    if (right instanceof TagRef) {
      Partial tmp = left;
      left = right;
      right = tmp;
      op = op.flipped();
    }
    if (!(left instanceof TagRef(TagDefinition tag)) || !(right instanceof Known(Value v))) {
      throw unexpected(c);
    }
    if (v instanceof Err) {
      return new Known(v);
    }
    if (c.ordered() != null) {
      int k = v instanceof Str s ? tag.rank(s.value()) : -1;
      if (k < 0 && (op == Op.EQ || op == Op.NE)) {
        // Text equality with a value that is no level: unequal wherever the tag is present, an
        // error (the tag is missing) elsewhere.
        Filter present = Filter.exists(tag.name());
        return op == Op.EQ ? pred(Filter.none(), present) : pred(present, Filter.none());
      }
      if (k < 0) {
        // Whatever the document holds, ordering against a non-level is an error.
        return new Known(Evaluator.compare(op, v, v, tag));
      }
      List<Filter> yes = new ArrayList<>();
      List<Filter> no = new ArrayList<>();
      for (int rank = 0; rank < tag.values().size(); rank++) {
        String level = tag.values().get(rank);
        (op.test(Integer.compare(rank, k)) ? yes : no)
            .add(new Filter.Range(tag.name(), rank, rank, level, level));
      }
      return pred(Filter.or(yes), Filter.or(no));
    }
    if (!(v instanceof Str s) || (op != Op.EQ && op != Op.NE)) {
      throw unexpected(c);
    }
    Filter equal = Filter.term(tag.name(), s.value());
    Filter differ = Filter.and(Filter.exists(tag.name()), Filter.not(equal));
    return op == Op.EQ ? pred(equal, differ) : pred(differ, equal);
  }

  private Partial in(Partial element, Partial collection, Expr e) {
    if (element instanceof Known el && collection instanceof Known col) {
      return new Known(Evaluator.in(el.value(), col.value()));
    }
    if (element instanceof Known(Value v) && collection instanceof TagRef(TagDefinition set)) {
      if (!(v instanceof Str s)) {
        return new Known(Evaluator.in(v, new StrList(List.of())));
      }
      Filter has = Filter.term(set.name(), s.value());
      return pred(has, Filter.not(has));
    }
    if (element instanceof TagRef(TagDefinition scalar) && collection instanceof Known(Value v)) {
      List<String> options =
          switch (v) {
            case StrList l -> l.values();
            default -> null;
          };
      if (options == null) {
        return new Known(Evaluator.in(new Str(""), v));
      }
      Filter any = Filter.anyOf(scalar.name(), options);
      return pred(any, Filter.and(Filter.exists(scalar.name()), Filter.not(any)));
    }
    throw unexpected(e);
  }

  private Partial quantifier(Quantifier q, Partial range, Map<String, Value> vars) {
    Map<String, Value> inner = new HashMap<>(vars);
    switch (range) {
      case Known(StrList list) -> {
        List<Partial> results = new ArrayList<>();
        for (String item : list.values()) {
          inner.put(q.var(), new Str(item));
          results.add(eval(q.predicate(), inner));
        }
        return fold(results, !q.exists());
      }
      case Known k -> {
        return k;
      }
      case TagRef(TagDefinition set) -> {
        // The document's members come from the tag's declared values: evaluate the predicate for
        // each of them, then ask which of those the document holds.
        TreeSet<String> yes = new TreeSet<>();
        TreeSet<String> notNo = new TreeSet<>();
        TreeSet<String> no = new TreeSet<>();
        TreeSet<String> notYes = new TreeSet<>();
        for (String value : set.values()) {
          inner.put(q.var(), new Str(value));
          Value v = known(q.predicate(), inner);
          boolean isTrue = v instanceof Bool b && b.value();
          boolean isFalse = v instanceof Bool b && !b.value();
          (isTrue ? yes : notYes).add(value);
          (isFalse ? no : notNo).add(value);
        }
        String tag = set.name();
        return q.exists()
            ? pred(Filter.anyOf(tag, yes), Filter.not(Filter.anyOf(tag, notNo)))
            : pred(Filter.not(Filter.anyOf(tag, notYes)), Filter.anyOf(tag, no));
      }
      case Pred p -> throw unexpected(q);
    }
  }

  /** CEL's {@code &&} ({@code conjunction}) or {@code ||} over partial operands. */
  private static Partial fold(List<Partial> parts, boolean conjunction) {
    List<Value> known = new ArrayList<>();
    List<Pred> preds = new ArrayList<>();
    for (Partial p : parts) {
      switch (p) {
        case Known k -> known.add(k.value());
        case Pred pr -> preds.add(pr);
        case TagRef t -> throw new IllegalStateException("a tag value used as a boolean");
      }
    }
    Value k = conjunction ? Evaluator.and(known) : Evaluator.or(known);
    if (preds.isEmpty() || k instanceof Bool b && b.value() != conjunction) {
      return new Known(k); // all known, or decided (false for &&, true for ||)
    }
    boolean knownError = k instanceof Err;
    List<Filter> trues = preds.stream().map(Pred::whenTrue).toList();
    List<Filter> falses = preds.stream().map(Pred::whenFalse).toList();
    // A known error can still be absorbed by a deciding operand (false for &&, true for ||),
    // but the undecided outcome is then an error, never the non-deciding value.
    return conjunction
        ? pred(knownError ? Filter.none() : Filter.and(trues), Filter.or(falses))
        : pred(Filter.or(trues), knownError ? Filter.none() : Filter.and(falses));
  }

  /** A residual, folded to a known value when the filters are constant. */
  private static Partial pred(Filter whenTrue, Filter whenFalse) {
    if (whenTrue instanceof Filter.All) {
      return new Known(Value.TRUE);
    }
    if (whenFalse instanceof Filter.All) {
      return new Known(Value.FALSE);
    }
    if (whenTrue instanceof Filter.None && whenFalse instanceof Filter.None) {
      return new Known(Evaluator.err("an error for every document"));
    }
    return new Pred(whenTrue, whenFalse);
  }

  private static Pred asPred(Partial p) {
    return switch (p) {
      case Pred pr -> pr;
      case Known(Bool b) ->
          b.value() ? new Pred(Filter.all(), Filter.none()) : new Pred(Filter.none(), Filter.all());
      case Known k -> new Pred(Filter.none(), Filter.none());
      case TagRef t -> throw new IllegalStateException("a tag value used as a boolean");
    };
  }

  private Value known(Expr e, Map<String, Value> vars) {
    if (eval(e, vars) instanceof Known k) {
      return k.value();
    }
    throw unexpected(e);
  }

  private static IllegalStateException unexpected(Expr e) {
    // The translator refuses these shapes at load time; reaching here is a bug.
    return new IllegalStateException("cannot compile into a filter: " + e);
  }
}
