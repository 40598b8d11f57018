package dev.anvil.rbac;

import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.PrincipalAttribute;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rbac.schema.TagValue;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelEvaluationExceptionBuilder;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CEL itself, as the reference that Anvil's evaluator must agree with: dev.cel's own compiler and
 * its default runtime ({@link CelRuntimeFactory#standardCelRuntimeBuilder()}), sharing no code with
 * Anvil's condition compiler or evaluators.
 *
 * <p>The activation is plain maps: {@code doc} holds each scalar tag the document carries and every
 * set tag (the empty list when absent); {@code principal} holds {@code subject}, {@code roles},
 * {@code groups} and {@code attributes}, which holds each single-valued attribute's values (when it
 * has any) and every multi-valued one. So reading a scalar tag the document lacks, or an attribute
 * the principal lacks, is CEL's missing-key error, as Anvil documents.
 *
 * <p>Four things Anvil documents about its data are not CEL operators; {@link RandomConditions}
 * spells them out in CEL in the reference text, and CEL decides everything else (operators,
 * equality, error propagation and absorption, macros, functions):
 *
 * <ul>
 *   <li>an ordering comparison with an ordered tag compares ranks: {@code anvil_rank('tag', x)} is
 *       the rank of {@code x} among the tag's levels, an error for any other text;
 *   <li>a single-valued attribute is text, an error when the principal has several values: {@code
 *       anvil_single(principal.attributes.a)} is the one value of the list, an error otherwise;
 *   <li>{@code has()} of a set tag is whether the document holds any member, and
 *   <li>{@code has()} of a multi-valued attribute is whether it has any value: both {@code
 *       size(...) != 0}.
 * </ul>
 *
 * <p>Not the planner runtime ({@code plannerRuntimeBuilder}), although it takes custom structs: in
 * dev.cel 0.14.0 it hands the error of an {@code &&}, {@code ||} or {@code exists()} to a strict
 * function as a value, so {@code (m.x == 'a' || false) in []} is {@code false} there (with {@code
 * m} lacking {@code x}) where CEL's specification and the default runtime give an error.
 *
 * <p>Not thread-safe (one instance per test thread).
 */
public final class CelReference {
  /** The function an ordering comparison with an ordered tag is spelled through. */
  public static final String RANK = "anvil_rank";

  /** The function a single-valued attribute is read through. */
  public static final String SINGLE = "anvil_single";

  /** A condition's value: a boolean, or an evaluation error. */
  public enum Outcome {
    TRUE,
    FALSE,
    ERROR
  }

  private final TagSchema schema;
  private final CelCompiler compiler;
  private final CelRuntime runtime;

  /** The reference for conditions over {@code schema}. */
  public CelReference(TagSchema schema) {
    this.schema = schema;
    ListType strings = ListType.create(SimpleType.STRING);
    Map<String, CelType> docFields = new LinkedHashMap<>();
    for (TagDefinition t : schema.tags()) {
      docFields.put(t.name(), t.isScalar() ? SimpleType.STRING : strings);
    }
    StructType docType = struct("reference.Document", docFields);
    Map<String, CelType> attributeFields = new LinkedHashMap<>();
    for (PrincipalAttribute a : schema.principalAttributes()) {
      attributeFields.put(a.name(), strings); // a single-valued one is read via anvil_single
    }
    StructType attributesType = struct("reference.Attributes", attributeFields);
    StructType principalType =
        struct(
            "reference.Principal",
            Map.of(
                "subject", SimpleType.STRING,
                "roles", strings,
                "groups", strings,
                "attributes", attributesType));
    CelTypeProvider types =
        new CelTypeProvider() {
          @Override
          public ImmutableCollection<CelType> types() {
            return ImmutableList.of(docType, attributesType, principalType);
          }

          @Override
          public Optional<CelType> findType(String name) {
            return types().stream().filter(t -> t.name().equals(name)).findFirst();
          }
        };
    this.compiler =
        CelCompilerFactory.standardCelCompilerBuilder()
            .setTypeProvider(types)
            .addVar("doc", docType)
            .addVar("principal", principalType)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addFunctionDeclarations(
                CelFunctionDecl.newFunctionDeclaration(
                    RANK,
                    CelOverloadDecl.newGlobalOverload(
                        RANK + "_string_string",
                        SimpleType.INT,
                        SimpleType.STRING,
                        SimpleType.STRING)),
                CelFunctionDecl.newFunctionDeclaration(
                    SINGLE,
                    CelOverloadDecl.newGlobalOverload(
                        SINGLE + "_list", SimpleType.STRING, strings)))
            .build();
    this.runtime =
        CelRuntimeFactory.standardCelRuntimeBuilder()
            .addFunctionBindings(
                CelFunctionBinding.from(
                    RANK + "_string_string", String.class, String.class, this::rank),
                CelFunctionBinding.from(SINGLE + "_list", List.class, CelReference::single))
            .build();
  }

  private Object rank(String tag, String value) throws CelEvaluationException {
    int rank = schema.tag(tag).orElseThrow().values().indexOf(value);
    if (rank < 0) {
      throw CelEvaluationExceptionBuilder.newBuilder("'%s' is not a level of '%s'", value, tag)
          .build();
    }
    return (long) rank;
  }

  private static Object single(List<?> values) throws CelEvaluationException {
    if (values.size() != 1) {
      throw CelEvaluationExceptionBuilder.newBuilder("%s is not one value", values).build();
    }
    return values.getFirst();
  }

  /** Type-checks and plans an expression. */
  public CelRuntime.Program compile(String expression) throws CelValidationException {
    try {
      return runtime.createProgram(compiler.compile(expression).getAst());
    } catch (CelEvaluationException e) {
      throw new IllegalStateException(
          "CEL cannot plan its own checked expression: " + expression, e);
    }
  }

  /** CEL's outcome of a compiled expression on an activation. */
  public static Outcome eval(CelRuntime.Program program, Map<String, Object> activation) {
    try {
      Object v = program.eval(activation);
      if (v instanceof Boolean b) {
        return b ? Outcome.TRUE : Outcome.FALSE;
      }
      throw new IllegalStateException("a condition evaluated to " + v);
    } catch (CelEvaluationException e) {
      return Outcome.ERROR;
    }
  }

  /** The activation for one principal and document. */
  public Map<String, Object> activation(Principal p, DocTags d) {
    Map<String, Object> doc = new HashMap<>();
    for (TagDefinition t : schema.tags()) {
      Optional<TagValue> v = d.get(t.name());
      if (!t.isScalar()) {
        doc.put(
            t.name(),
            v.map(m -> List.<Object>copyOf(((TagValue.Members) m).values())).orElse(List.of()));
      } else if (v.isPresent()) {
        doc.put(
            t.name(),
            switch (v.get()) {
              case TagValue.Single x -> x.value();
              case TagValue.Level x -> x.name();
              case TagValue.Members x -> throw new IllegalStateException("a set in " + t);
            });
      }
    }
    Map<String, Object> attributes = new HashMap<>();
    for (PrincipalAttribute a : schema.principalAttributes()) {
      List<String> values = p.attributes().getOrDefault(a.name(), List.of());
      if (a.multiValued() || !values.isEmpty()) {
        attributes.put(a.name(), new ArrayList<>(values));
      }
    }
    return Map.of(
        "doc",
        doc,
        "principal",
        Map.of(
            "subject", p.subject(),
            "roles", List.copyOf(p.roles()),
            "groups", List.copyOf(p.groups()),
            "attributes", attributes));
  }

  private static StructType struct(String name, Map<String, CelType> fields) {
    Map<String, CelType> copy = Map.copyOf(fields);
    return StructType.create(
        name, ImmutableSet.copyOf(fields.keySet()), f -> Optional.ofNullable(copy.get(f)));
  }
}
