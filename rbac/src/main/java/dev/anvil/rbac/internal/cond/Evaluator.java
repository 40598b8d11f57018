package dev.anvil.rbac.internal.cond;

import dev.anvil.rbac.Principal;
import dev.anvil.rbac.internal.cond.Expr.*;
import dev.anvil.rbac.internal.cond.Value.*;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.PrincipalAttribute;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Evaluates a condition with everything known: the principal and the document's tags. This is the
 * reference semantics; the partial evaluator must agree with it for every document.
 */
public final class Evaluator {
  private final Principal principal;
  private final DocTags doc;
  private final BiConsumer<String, Value> trace;
  private int quantifierDepth; // tests inside exists()/all() are not traced one by one
  // Values read more than once per decision (principal lists, tags) are converted once.
  private final Map<Field, Value> principalValues = new java.util.EnumMap<>(Field.class);
  private final Map<String, Value> attributeValues = new HashMap<>();
  private final Map<String, Value> tagValues = new HashMap<>();

  /**
   * @param trace receives each leaf predicate's source text and value (for explanations); may be a
   *     no-op
   */
  public Evaluator(Principal principal, DocTags doc, BiConsumer<String, Value> trace) {
    this.principal = principal;
    this.doc = doc;
    this.trace = trace;
  }

  /** Evaluates a condition; the result is a {@link Bool} or an {@link Err}. */
  public Value eval(Expr e) {
    return eval(e, Map.of());
  }

  Value eval(Expr e, Map<String, Value> vars) {
    return switch (e) {
      case Lit l -> l.value();
      case ListOf l -> {
        List<String> items = new ArrayList<>();
        for (Expr item : l.items()) {
          Value v = eval(item, vars);
          if (v instanceof Err) {
            yield v;
          }
          items.add(((Str) v).value());
        }
        yield new StrList(items);
      }
      case PrincipalField p ->
          principalValues.computeIfAbsent(p.field(), f -> principalField(principal, f));
      case Attribute a ->
          attributeValues.computeIfAbsent(
              a.attribute().name(), n -> attribute(principal, a.attribute()));
      case HasAttribute h -> traced(h.text(), hasAttribute(principal, h.name()));
      case DocTag t -> tagValues.computeIfAbsent(t.tag().name(), n -> docTag(doc, t.tag()));
      case HasTag h -> traced(h.text(), Value.of(doc.has(h.tag().name())));
      case Var v -> vars.get(v.name());
      case Not n -> not(eval(n.operand(), vars));
      case And a -> and(a.operands().stream().map(o -> eval(o, vars)).toList());
      case Or o -> or(o.operands().stream().map(x -> eval(x, vars)).toList());
      case Cond c ->
          switch (eval(c.condition(), vars)) {
            case Bool b -> b.value() ? eval(c.ifTrue(), vars) : eval(c.ifFalse(), vars);
            case Value v -> v;
          };
      case Compare c ->
          traced(
              c.text(), compare(c.op(), eval(c.left(), vars), eval(c.right(), vars), c.ordered()));
      case In i -> traced(i.text(), in(eval(i.element(), vars), eval(i.collection(), vars)));
      case Quantifier q -> {
        Value range = eval(q.range(), vars);
        if (!(range instanceof StrList list)) {
          yield traced(q.text(), range);
        }
        List<Value> results = new ArrayList<>();
        Map<String, Value> inner = new HashMap<>(vars);
        quantifierDepth++;
        try {
          for (String item : list.values()) {
            inner.put(q.var(), new Str(item));
            results.add(eval(q.predicate(), inner));
          }
        } finally {
          quantifierDepth--;
        }
        yield traced(q.text(), q.exists() ? or(results) : and(results));
      }
      case Size s -> size(eval(s.operand(), vars));
      case TextTest t ->
          traced(
              t.text(), textTest(t.function(), eval(t.target(), vars), eval(t.argument(), vars)));
    };
  }

  private Value traced(String text, Value v) {
    if (quantifierDepth == 0) {
      trace.accept(text, v);
    }
    return v;
  }

  // ---- shared by the partial evaluator: operations on known values ----

  static Value principalField(Principal p, Field f) {
    return switch (f) {
      case SUBJECT -> new Str(p.subject());
      case ROLES -> new StrList(List.copyOf(p.roles()));
      case GROUPS -> new StrList(List.copyOf(p.groups()));
    };
  }

  static Value attribute(Principal p, PrincipalAttribute a) {
    List<String> values = p.attributes().getOrDefault(a.name(), List.of());
    if (a.multiValued()) {
      return new StrList(values);
    }
    return switch (values.size()) {
      case 0 -> err("the principal has no attribute '" + a.name() + "'");
      case 1 -> new Str(values.getFirst());
      default ->
          err(
              "attribute '"
                  + a.name()
                  + "' is single-valued and the principal has "
                  + values.size()
                  + " values: "
                  + values);
    };
  }

  static Value hasAttribute(Principal p, String name) {
    return Value.of(p.attributes().containsKey(name));
  }

  static Value docTag(DocTags doc, TagDefinition tag) {
    return doc.get(tag.name())
        .<Value>map(
            v ->
                switch (v) {
                  case TagValue.Single s -> new Str(s.value());
                  case TagValue.Level l -> new Str(l.name());
                  case TagValue.Members m -> new StrList(List.copyOf(m.values()));
                })
        .orElseGet(
            () ->
                tag.isScalar()
                    ? err("the document has no tag '" + tag.name() + "'")
                    : new StrList(List.of()));
  }

  static Value not(Value v) {
    return v instanceof Bool b ? Value.of(!b.value()) : v;
  }

  /** CEL's {@code &&}: false wins over errors, errors over true. */
  static Value and(List<Value> values) {
    Value error = null;
    for (Value v : values) {
      if (v instanceof Bool b) {
        if (!b.value()) {
          return Value.FALSE;
        }
      } else if (error == null) {
        error = v;
      }
    }
    return error != null ? error : Value.TRUE;
  }

  /** CEL's {@code ||}: true wins over errors, errors over false. */
  static Value or(List<Value> values) {
    Value error = null;
    for (Value v : values) {
      if (v instanceof Bool b) {
        if (b.value()) {
          return Value.TRUE;
        }
      } else if (error == null) {
        error = v;
      }
    }
    return error != null ? error : Value.FALSE;
  }

  static Value compare(Op op, Value l, Value r, TagDefinition ordered) {
    if (l instanceof Err) {
      return l;
    }
    if (r instanceof Err) {
      return r;
    }
    // Only ordering compares levels by rank: == and != on an ordered tag are CEL's text equality,
    // so a value that is not a level is simply unequal (CEL gives false, not an error).
    if (ordered != null && op != Op.EQ && op != Op.NE) {
      int lr = rank(ordered, l);
      int rr = rank(ordered, r);
      if (lr < 0 || rr < 0) {
        Value bad = lr < 0 ? l : r;
        return err(bad + " is not a level of '" + ordered.name() + "' " + ordered.values());
      }
      return Value.of(op.test(Integer.compare(lr, rr)));
    }
    return switch (op) {
      case EQ -> Value.of(l.equals(r));
      case NE -> Value.of(!l.equals(r));
      default ->
          l instanceof Int a && r instanceof Int b
              ? Value.of(op.test(Long.compare(a.value(), b.value())))
              : err("cannot order " + l + " and " + r);
    };
  }

  private static int rank(TagDefinition ordered, Value v) {
    return v instanceof Str s ? ordered.rank(s.value()) : -1;
  }

  static Value in(Value element, Value collection) {
    if (element instanceof Err) {
      return element;
    }
    if (collection instanceof Err) {
      return collection;
    }
    return switch (collection) {
      // CEL's 'in' is list membership by equality, and a value of another type (an int, a bool or
      // a list: after type-checking only the empty list [] can hold them) equals no text: false,
      // never an error.
      case StrList l -> Value.of(element instanceof Str s && l.values().contains(s.value()));
      default -> err("'in' needs a list on the right, was " + collection);
    };
  }

  static Value size(Value v) {
    return switch (v) {
      case StrList l -> new Int(l.values().size());
      case Str s -> new Int(s.value().codePointCount(0, s.value().length()));
      case Err x -> x;
      default -> err("size() of " + v);
    };
  }

  static Value textTest(String function, Value target, Value argument) {
    if (target instanceof Err) {
      return target;
    }
    if (argument instanceof Err) {
      return argument;
    }
    if (!(target instanceof Str t) || !(argument instanceof Str a)) {
      return err(function + "() needs text");
    }
    return Value.of(
        switch (function) {
          case "startsWith" -> t.value().startsWith(a.value());
          case "endsWith" -> t.value().endsWith(a.value());
          case "contains" -> t.value().contains(a.value());
          default -> throw new IllegalStateException("unknown text function " + function);
        });
  }

  static Err err(String reason) {
    return new Err(reason);
  }
}
