package dev.anvil.rbac.internal.cond;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.anvil.rbac.input.Location;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.internal.cond.Expr.*;
import dev.anvil.rbac.internal.cond.Value.*;
import dev.anvil.rbac.schema.PrincipalAttribute;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rbac.schema.TagType;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.parser.CelUnparser;
import dev.cel.parser.CelUnparserFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiles the CEL {@code when} conditions of policies: parses and type-checks them against the tag
 * schema with the CEL library, then translates the checked AST into {@link Expr}, refusing (with
 * the location of the offending part) anything that cannot be both decided per document and
 * compiled into an index filter.
 *
 * <p>In conditions, {@code doc} has one field per schema tag (ordered, enum, string and principal
 * tags are {@code string}; set tags are {@code list(string)}) and {@code principal} has {@code
 * subject}, {@code roles}, {@code groups} and {@code attributes}, whose fields are the schema's
 * principal attributes ({@code string}, or {@code list(string)} for a multi-valued one): an
 * attribute the schema does not declare is a type error where the policy is loaded.
 *
 * <p>Thread-safe once built.
 */
public final class ConditionCompiler {

  /** Maps a position inside a condition (1-based line, 0-based column) to the policy file. */
  public interface Locator {
    Location at(int line, int column);
  }

  private final TagSchema schema;
  private final CelCompiler cel;
  private final CelUnparser unparser = CelUnparserFactory.newUnparser();

  public ConditionCompiler(TagSchema schema) {
    this.schema = schema;
    Map<String, CelType> docFields = new LinkedHashMap<>();
    for (TagDefinition t : schema.tags()) {
      docFields.put(
          t.name(),
          t.type() == TagType.SET ? ListType.create(SimpleType.STRING) : SimpleType.STRING);
    }
    StructType docType =
        StructType.create(
            "anvil.Document",
            ImmutableSet.copyOf(docFields.keySet()),
            name -> Optional.ofNullable(docFields.get(name)));
    Map<String, CelType> attributeFields = new LinkedHashMap<>();
    for (PrincipalAttribute a : schema.principalAttributes()) {
      attributeFields.put(
          a.name(), a.multiValued() ? ListType.create(SimpleType.STRING) : SimpleType.STRING);
    }
    StructType attributesType =
        StructType.create(
            "anvil.PrincipalAttributes",
            ImmutableSet.copyOf(attributeFields.keySet()),
            name -> Optional.ofNullable(attributeFields.get(name)));
    Map<String, CelType> principalFields =
        Map.of(
            "subject",
            SimpleType.STRING,
            "roles",
            ListType.create(SimpleType.STRING),
            "groups",
            ListType.create(SimpleType.STRING),
            CelTranslation.ATTRIBUTES,
            attributesType);
    StructType principalType =
        StructType.create(
            "anvil.Principal",
            ImmutableSet.copyOf(principalFields.keySet()),
            name -> Optional.ofNullable(principalFields.get(name)));
    CelTypeProvider types =
        new CelTypeProvider() {
          @Override
          public com.google.common.collect.ImmutableCollection<CelType> types() {
            return ImmutableList.of(docType, principalType, attributesType);
          }

          @Override
          public Optional<CelType> findType(String name) {
            return types().stream().filter(t -> t.name().equals(name)).findFirst();
          }
        };
    this.cel =
        CelCompilerFactory.standardCelCompilerBuilder()
            .setTypeProvider(types)
            .addVar(CelTranslation.DOC, docType)
            .addVar(CelTranslation.PRINCIPAL, principalType)
            .setStandardMacros(CelStandardMacro.HAS, CelStandardMacro.ALL, CelStandardMacro.EXISTS)
            .setResultType(SimpleType.BOOL)
            // Keeps the macro form (x.exists(...)) so explanations can print it back.
            .setOptions(CelOptions.current().populateMacroCalls(true).build())
            .build();
  }

  /**
   * Compiles one condition.
   *
   * @throws PolicyLoadException with every problem found, located through {@code locator}
   */
  public Expr compile(String condition, Locator locator) {
    CelValidationResult result = cel.compile(condition);
    if (result.hasError()) {
      List<Problem> problems = new ArrayList<>();
      for (CelIssue issue : result.getErrors()) {
        var loc = issue.getSourceLocation();
        problems.add(
            new Problem(
                locator.at(Math.max(1, loc.getLine()), Math.max(0, loc.getColumn())),
                explainCelError(issue.getMessage())));
      }
      throw new PolicyLoadException(problems);
    }
    try {
      return new CelTranslation(schema, unparser, result.getAst(), locator).translate();
    } catch (dev.cel.common.CelValidationException e) {
      throw new IllegalStateException("CEL reported no errors but produced no AST", e);
    }
  }

  private String explainCelError(String message) {
    String m =
        message.replaceAll("(?s)^ERROR: [^:]*:\\d+:\\d+: ", "").lines().findFirst().orElse("");
    if (m.startsWith("expected type 'bool' but found")) {
      m += " (a condition must be true or false)";
    }
    if (m.matches("undeclared reference to '(exists_one|map|filter)'.*")) {
      m += " (of CEL's macros, policies have has(), exists() and all())";
    }
    if (m.startsWith("Message type resolution failure")) {
      m += " (protobuf messages are not supported in policies)";
    }
    if (m.contains("no matching overload") && m.contains("list(string)")) {
      m +=
          " (set tags, principal.roles/groups and multi-valued attributes are lists: test members"
              + " with 'x' in list)";
    }
    if (m.contains("anvil.PrincipalAttributes")) {
      m +=
          " (principal.attributes is not a value: use one attribute, e.g. principal.attributes."
              + schema.principalAttributes().stream()
                  .map(PrincipalAttribute::name)
                  .findFirst()
                  .orElse("NAME")
              + ")";
    }
    if (m.contains("undefined field")) {
      m +=
          " (doc has one field per tag: "
              + schemaTagNames()
              + "; principal has subject, roles,"
              + " groups, attributes; principal.attributes has those the schema declares under"
              + " principal_attributes: "
              + schema.principalAttributes().stream().map(PrincipalAttribute::name).toList()
              + ")";
    }
    return m;
  }

  private List<String> schemaTagNames() {
    return schema.tags().stream().map(TagDefinition::name).toList();
  }
}
