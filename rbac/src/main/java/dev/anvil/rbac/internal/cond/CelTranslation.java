package dev.anvil.rbac.internal.cond;

import dev.anvil.rbac.input.Location;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.internal.cond.ConditionCompiler.Locator;
import dev.anvil.rbac.internal.cond.Expr.*;
import dev.anvil.rbac.internal.cond.Value.*;
import dev.anvil.rbac.schema.PrincipalAttribute;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rbac.schema.TagType;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelExpr.CelCall;
import dev.cel.common.ast.CelExpr.CelComprehension;
import dev.cel.common.ast.CelExpr.CelSelect;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelUnparser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The translation of one type-checked CEL condition into {@link Expr}: each sub-expression is
 * classified by what it depends on (the principal only, a document tag's raw value, or a test on
 * the document), and anything that could not be both decided per document and compiled into an
 * index filter is refused with its location.
 */
final class CelTranslation {
  static final String PRINCIPAL = "principal";
  static final String DOC = "doc";
  static final String ATTRIBUTES = "attributes";
  private static final Map<String, Field> PRINCIPAL_FIELDS =
      Map.of("subject", Field.SUBJECT, "roles", Field.ROLES, "groups", Field.GROUPS);
  private static final Map<String, Op> OPS =
      Map.of(
          "_==_", Op.EQ, "_!=_", Op.NE, "_<_", Op.LT, "_<=_", Op.LE, "_>_", Op.GT, "_>=_", Op.GE);
  private static final Set<String> TEXT_FUNCTIONS = Set.of("startsWith", "endsWith", "contains");
  private static final String SUPPORTED =
      "supported: && || ! ?: == != < <= > >= in has() exists() all() size() startsWith()"
          + " endsWith() contains()";

  /** What a translated sub-expression depends on. */
  private enum Kind {
    /** Known once the principal is known. */
    PRINCIPAL,
    /** The raw value of a document tag. */
    TAG,
    /** A boolean that depends on the document. */
    DOC_BOOL
  }

  private record Result(Expr expr, Kind kind) {}

  private final TagSchema schema;
  private final CelUnparser unparser;
  private final CelAbstractSyntaxTree ast;
  private final Locator locator;
  private final Set<String> vars = new HashSet<>();

  CelTranslation(
      TagSchema schema, CelUnparser unparser, CelAbstractSyntaxTree ast, Locator locator) {
    this.schema = schema;
    this.unparser = unparser;
    this.ast = ast;
    this.locator = locator;
  }

  Expr translate() {
    Result r = tr(ast.getExpr());
    if (r.kind() == Kind.TAG) {
      throw error(ast.getExpr(), "a condition must be true or false, not a tag value");
    }
    return r.expr();
  }

  private Result tr(CelExpr e) {
    return switch (e.getKind()) {
      case CONSTANT -> new Result(new Lit(constant(e)), Kind.PRINCIPAL);
      case IDENT -> ident(e);
      case SELECT -> select(e, e.select());
      case CALL -> call(e, e.call());
      case LIST -> list(e);
      case COMPREHENSION -> comprehension(e, e.comprehension());
      case MAP -> throw error(e, "map literals are not supported in policies (" + SUPPORTED + ")");
      case STRUCT ->
          throw error(e, "creating messages is not supported in policies (" + SUPPORTED + ")");
      default -> throw error(e, "unsupported expression (" + SUPPORTED + ")");
    };
  }

  private Value constant(CelExpr e) {
    CelConstant c = e.constant();
    return switch (c.getKind()) {
      case STRING_VALUE -> new Str(c.stringValue());
      case INT64_VALUE -> new Int(c.int64Value());
      case BOOLEAN_VALUE -> Value.of(c.booleanValue());
      default -> throw error(e, "unsupported literal (use text, integers or true/false)");
    };
  }

  private Result ident(CelExpr e) {
    String name = e.ident().name();
    if (vars.contains(name)) {
      return new Result(new Var(name), Kind.PRINCIPAL);
    }
    throw error(
        e,
        name.equals(DOC)
            ? "use a tag of the document, e.g. doc." + schemaTagNames().getFirst()
            : name.equals(PRINCIPAL)
                ? "use a field of the principal: subject, roles, groups or attributes"
                : "unknown name '" + name + "'");
  }

  private Result select(CelExpr e, CelSelect s) {
    CelExpr operand = s.operand();
    if (isAttributes(operand)) {
      PrincipalAttribute a =
          schema.principalAttribute(s.field()).orElseThrow(() -> error(e, "unknown attribute"));
      return s.testOnly()
          ? new Result(new HasAttribute(a.name(), text(e)), Kind.PRINCIPAL)
          : new Result(new Attribute(a), Kind.PRINCIPAL);
    }
    if (operand.getKind() == CelExpr.ExprKind.Kind.IDENT
        && !vars.contains(operand.ident().name())) {
      String root = operand.ident().name();
      if (root.equals(DOC)) {
        TagDefinition tag = schema.tag(s.field()).orElseThrow(() -> error(e, "unknown tag"));
        return s.testOnly()
            ? new Result(new HasTag(tag, text(e)), Kind.DOC_BOOL)
            : new Result(new DocTag(tag), Kind.TAG);
      }
      if (root.equals(PRINCIPAL) && s.field().equals(ATTRIBUTES)) {
        throw error(e, "use one attribute, e.g. principal.attributes." + exampleAttribute());
      }
      if (root.equals(PRINCIPAL) && !s.testOnly()) {
        return new Result(new PrincipalField(PRINCIPAL_FIELDS.get(s.field())), Kind.PRINCIPAL);
      }
      if (root.equals(PRINCIPAL)) {
        throw error(
            e,
            "has() tests a document tag or a principal attribute, e.g. has(doc."
                + schemaTagNames().getFirst()
                + ") or has(principal.attributes."
                + exampleAttribute()
                + ")");
      }
    }
    throw error(e, "unsupported field access (" + SUPPORTED + ")");
  }

  /** Whether {@code e} is {@code principal.attributes}. */
  private boolean isAttributes(CelExpr e) {
    return e.getKind() == CelExpr.ExprKind.Kind.SELECT
        && !e.select().testOnly()
        && e.select().field().equals(ATTRIBUTES)
        && e.select().operand().getKind() == CelExpr.ExprKind.Kind.IDENT
        && e.select().operand().ident().name().equals(PRINCIPAL)
        && !vars.contains(PRINCIPAL);
  }

  private String exampleAttribute() {
    return schema.principalAttributes().stream()
        .map(PrincipalAttribute::name)
        .findFirst()
        .orElse("NAME (declare it under principal_attributes in the schema)");
  }

  private Result call(CelExpr e, CelCall c) {
    String f = c.function();
    List<CelExpr> args = c.args();
    switch (f) {
      case "_&&_", "_||_" -> {
        List<Expr> operands = new ArrayList<>();
        boolean doc = false;
        for (CelExpr a : flatten(e, f)) {
          Result r = bool(a);
          doc |= r.kind() == Kind.DOC_BOOL;
          operands.add(r.expr());
        }
        Expr x = f.equals("_&&_") ? new And(operands) : new Or(operands);
        return new Result(x, doc ? Kind.DOC_BOOL : Kind.PRINCIPAL);
      }
      case "!_" -> {
        Result r = bool(args.getFirst());
        return new Result(new Not(r.expr()), r.kind());
      }
      case "_?_:_" -> {
        return conditional(e, args);
      }
      case "@in" -> {
        return in(e, tr(args.get(0)), tr(args.get(1)), args);
      }
      case "_[_]" -> {
        throw error(
            e,
            "indexing is not supported: read an attribute as principal.attributes."
                + exampleAttribute()
                + " and test list members with 'x' in list");
      }
      case "size" -> {
        CelExpr target = c.target().orElse(args.isEmpty() ? null : args.getFirst());
        if (target == null) {
          throw error(e, "size() needs an argument");
        }
        return new Result(
            new Size(principalOnly(target, "the size of a document tag").expr()), Kind.PRINCIPAL);
      }
      default -> {}
    }
    if (OPS.containsKey(f)) {
      return compare(e, OPS.get(f), args);
    }
    if (TEXT_FUNCTIONS.contains(f) && c.target().isPresent()) {
      Result target = principalOnly(c.target().get(), f + "() on a document tag");
      Result arg = principalOnly(args.getFirst(), f + "() with a document tag");
      return new Result(new TextTest(f, target.expr(), arg.expr(), text(e)), Kind.PRINCIPAL);
    }
    throw error(
        e, "function '" + displayName(f) + "' is not supported in policies (" + SUPPORTED + ")");
  }

  private Result conditional(CelExpr e, List<CelExpr> args) {
    Result c = bool(args.get(0));
    Result t = tr(args.get(1));
    Result f = tr(args.get(2));
    if (t.kind() == Kind.TAG || f.kind() == Kind.TAG) {
      throw error(e, "a ?: whose branches are document tags cannot be compiled into a filter");
    }
    boolean doc =
        c.kind() == Kind.DOC_BOOL || t.kind() == Kind.DOC_BOOL || f.kind() == Kind.DOC_BOOL;
    if (doc && ast.getType(e.id()).orElse(SimpleType.DYN) != SimpleType.BOOL) {
      throw error(e, "a ?: that depends on the document must yield true or false");
    }
    return new Result(new Cond(c.expr(), t.expr(), f.expr()), doc ? Kind.DOC_BOOL : Kind.PRINCIPAL);
  }

  private Result compare(CelExpr e, Op op, List<CelExpr> args) {
    Result l = tr(args.get(0));
    Result r = tr(args.get(1));
    if (l.kind() == Kind.DOC_BOOL || r.kind() == Kind.DOC_BOOL) {
      throw error(
          e,
          "comparing the result of a document test cannot be compiled; combine tests with && || ! instead");
    }
    if (l.kind() == Kind.TAG && r.kind() == Kind.TAG) {
      throw error(e, "comparing two document tags cannot be compiled into an index filter");
    }
    boolean leftIsTag = l.kind() == Kind.TAG;
    if (!leftIsTag && r.kind() != Kind.TAG) {
      CelType type = ast.getType(args.get(0).id()).orElse(SimpleType.DYN);
      if (op != Op.EQ && op != Op.NE && type != SimpleType.INT) {
        throw error(
            e,
            type == SimpleType.STRING
                ? "ordering comparisons (< <= > >=) on text need an ordered tag on one side, e.g. doc.classification"
                : "ordering comparisons (< <= > >=) compare integers or an ordered tag, not "
                    + type.name());
      }
      return new Result(new Compare(op, l.expr(), r.expr(), null, text(e)), Kind.PRINCIPAL);
    }
    TagDefinition tag = ((DocTag) (leftIsTag ? l : r).expr()).tag();
    CelExpr other = args.get(leftIsTag ? 1 : 0);
    switch (tag.type()) {
      case SET ->
          throw error(
              e,
              "'"
                  + tag.name()
                  + "' is a set tag: test members with 'in' or exists(), e.g. 'x' in doc."
                  + tag.name());
      case ORDERED -> checkLiteralValue(other, tag);
      case ENUM, STRING, PRINCIPAL -> {
        if (op != Op.EQ && op != Op.NE) {
          throw error(
              e,
              "ordering comparisons need an ordered tag; '"
                  + tag.name()
                  + "' is "
                  + tag.type().id());
        }
        checkLiteralValue(other, tag);
      }
    }
    return new Result(
        new Compare(op, l.expr(), r.expr(), tag.type() == TagType.ORDERED ? tag : null, text(e)),
        Kind.DOC_BOOL);
  }

  private Result in(CelExpr e, Result element, Result collection, List<CelExpr> args) {
    if (element.kind() == Kind.PRINCIPAL && collection.kind() == Kind.PRINCIPAL) {
      return new Result(new In(element.expr(), collection.expr(), text(e)), Kind.PRINCIPAL);
    }
    if (element.kind() == Kind.PRINCIPAL && collection.kind() == Kind.TAG) {
      TagDefinition set = ((DocTag) collection.expr()).tag();
      checkLiteralValue(args.get(0), set);
      return new Result(new In(element.expr(), collection.expr(), text(e)), Kind.DOC_BOOL);
    }
    if (element.kind() == Kind.TAG && collection.kind() == Kind.PRINCIPAL) {
      TagDefinition scalar = ((DocTag) element.expr()).tag();
      CelExpr list = args.get(1);
      if (list.getKind() == CelExpr.ExprKind.Kind.LIST) {
        list.list().elements().forEach(item -> checkLiteralValue(item, scalar));
      }
      return new Result(new In(element.expr(), collection.expr(), text(e)), Kind.DOC_BOOL);
    }
    throw error(
        e,
        "this 'in' cannot be compiled into an index filter: one side must be a document tag and the other must not depend on the document");
  }

  private Result list(CelExpr e) {
    List<Expr> items = new ArrayList<>();
    List<String> literals = new ArrayList<>();
    for (CelExpr item : e.list().elements()) {
      Result r = principalOnly(item, "a list holding document tags");
      items.add(r.expr());
      if (r.expr() instanceof Lit(Str s)) {
        literals.add(s.value());
      }
    }
    if (!(ast.getType(e.id()).orElse(SimpleType.DYN) instanceof ListType lt)
        || lt.elemType() != SimpleType.STRING && !items.isEmpty()) {
      throw error(e, "lists in policies hold text");
    }
    return new Result(
        literals.size() == items.size() ? new Lit(new StrList(literals)) : new ListOf(items),
        Kind.PRINCIPAL);
  }

  private Result comprehension(CelExpr e, CelComprehension c) {
    // exists() expands to: accu = false; accu = accu || pred; all(): accu = true; accu && pred.
    CelExpr init = c.accuInit();
    CelExpr step = c.loopStep();
    boolean shaped =
        init.getKind() == CelExpr.ExprKind.Kind.CONSTANT
            && init.constant().getKind() == CelConstant.Kind.BOOLEAN_VALUE
            && step.getKind() == CelExpr.ExprKind.Kind.CALL
            && step.call().args().size() == 2
            && c.iterVar2().isEmpty();
    boolean exists =
        shaped && !init.constant().booleanValue() && step.call().function().equals("_||_");
    boolean all = shaped && init.constant().booleanValue() && step.call().function().equals("_&&_");
    if (!exists && !all) {
      throw error(e, "only the exists() and all() macros are supported");
    }
    CelExpr predicate = null;
    for (CelExpr a : step.call().args()) {
      if (!(a.getKind() == CelExpr.ExprKind.Kind.IDENT && a.ident().name().equals(c.accuVar()))) {
        predicate = a;
      }
    }
    if (predicate == null) {
      throw error(e, "only the exists() and all() macros are supported");
    }
    Result range = tr(c.iterRange());
    if (range.kind() == Kind.DOC_BOOL) {
      throw error(e, "exists()/all() need a list");
    }
    boolean added = vars.add(c.iterVar());
    try {
      Result pred = bool(predicate);
      if (range.kind() == Kind.TAG && pred.kind() == Kind.DOC_BOOL) {
        throw error(
            predicate,
            "inside exists()/all() over a document tag, the test may use the element and the principal, not other tags");
      }
      if (range.kind() == Kind.TAG && ((DocTag) range.expr()).tag().isScalar()) {
        throw error(e, "exists()/all() need a list");
      }
      Kind kind = range.kind() == Kind.PRINCIPAL ? pred.kind() : Kind.DOC_BOOL;
      return new Result(
          new Quantifier(exists, c.iterVar(), range.expr(), pred.expr(), text(e)), kind);
    } finally {
      if (added) {
        vars.remove(c.iterVar());
      }
    }
  }

  /** A sub-expression used as a boolean (the type checker already ensured its type). */
  private Result bool(CelExpr e) {
    Result r = tr(e);
    if (r.kind() == Kind.TAG) {
      throw error(e, "expected a test, found a tag value");
    }
    return r;
  }

  private Result principalOnly(CelExpr e, String what) {
    Result r = tr(e);
    if (r.kind() != Kind.PRINCIPAL) {
      throw error(e, what + " cannot be compiled into an index filter");
    }
    return r;
  }

  /**
   * A literal compared with an enum or ordered tag (or tested against a set) must be one of its
   * values.
   */
  private void checkLiteralValue(CelExpr literal, TagDefinition tag) {
    if (!tag.type().hasValues()
        || literal.getKind() != CelExpr.ExprKind.Kind.CONSTANT
        || literal.constant().getKind() != CelConstant.Kind.STRING_VALUE) {
      return;
    }
    String v = literal.constant().stringValue();
    if (!tag.values().contains(v)) {
      throw error(
          literal,
          "'"
              + v
              + "' is not a value of tag '"
              + tag.name()
              + "' (expected one of"
              + (tag.type() == TagType.ORDERED ? ", lowest first: " : ": ")
              + tag.values()
              + ")");
    }
  }

  private List<CelExpr> flatten(CelExpr e, String function) {
    if (e.getKind() == CelExpr.ExprKind.Kind.CALL && e.call().function().equals(function)) {
      List<CelExpr> out = new ArrayList<>();
      for (CelExpr a : e.call().args()) {
        out.addAll(flatten(a, function));
      }
      return out;
    }
    return List.of(e);
  }

  private String text(CelExpr e) {
    try {
      return unparser.unparse(CelAbstractSyntaxTree.newParsedAst(e, ast.getSource()));
    } catch (RuntimeException ex) {
      return e.toString();
    }
  }

  private PolicyLoadException error(CelExpr e, String message) {
    Integer offset = ast.getSource().getPositionsMap().get(e.id());
    Location at =
        offset == null
            ? locator.at(1, 0)
            : ast.getSource()
                .getOffsetLocation(offset)
                .map(l -> locator.at(l.getLine(), l.getColumn()))
                .orElse(locator.at(1, 0));
    return new PolicyLoadException(List.of(new Problem(at, message)));
  }

  private List<String> schemaTagNames() {
    return schema.tags().stream().map(TagDefinition::name).toList();
  }

  private static String displayName(String function) {
    return function.replace("_", "").replace("@", "");
  }
}
